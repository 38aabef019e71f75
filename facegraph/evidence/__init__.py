"""Every tie with its proof: the evidence sheet of what people share (`sheet`), written as one
self-contained HTML page and a JSON file (`html`, `write_evidence`)."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path

from ..artefacts import record_written
from ..library import resolve_library_path
from .html import render_sheet
from .sheet import EvidenceSheet, evidence_sheet

__all__ = ["EvidenceSheet", "evidence_sheet", "write_evidence"]

#: where sheets go unless told: inside the library, so forgetting a person removes them
FOLDER = "evidence"


def write_evidence(
    library: str | os.PathLike[str] | None,
    people: Sequence[int | str],
    out_dir: str | os.PathLike[str] | None = None,
) -> tuple[EvidenceSheet, list[Path]]:
    """Write the evidence sheet of `people` as ``evidence-<ids>.html`` and ``.json`` into
    `out_dir` (default ``LIBRARY/evidence/``); returns the sheet and the two files. The files
    are remembered, so forgetting one of the people deletes (or, outside the library, lists)
    them."""
    sheet = evidence_sheet(library, people)
    root = resolve_library_path(library)
    folder = Path(out_dir) if out_dir is not None else root / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    stem = "evidence-" + "-".join(str(p["person_id"]) for p in sheet.people)
    page, data = folder / f"{stem}.html", folder / f"{stem}.json"
    page.write_text(render_sheet(sheet), "utf-8")
    data.write_text(json.dumps(sheet.as_dict(), indent=1, ensure_ascii=False), "utf-8")
    record_written(root, [page, data])
    return sheet, [page, data]
