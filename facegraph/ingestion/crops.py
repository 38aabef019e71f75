"""Writing the stored face crops out as files, as the old tool's ``Faces/`` folder."""

from __future__ import annotations

import csv
import os
from pathlib import Path

from ..artefacts import record_written
from ..library import Library
from ..safe_text import spreadsheet_cell
from . import store

INDEX_FILE = "faces.csv"


def export_crops(library: str | os.PathLike[str] | None, out_dir: str | os.PathLike[str]) -> int:
    """Write ``face_<face_id>.jpg`` for every face and an index ``faces.csv``; return the count.

    The index maps each file to its photo and box, so crops can be traced back and re-run
    exports overwrite rather than duplicate.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    files = [out / INDEX_FILE]
    with Library.open(library) as lib, open(out / INDEX_FILE, "w", newline="") as index:
        writer = csv.writer(index)
        writer.writerow(["face_id", "file", "image_path", "left", "top", "right", "bottom"])
        for face_id, image_path, box, crop in store.iter_face_crops(lib.connection):
            name = f"face_{face_id:06d}.jpg"
            (out / name).write_bytes(crop)
            writer.writerow([face_id, name, spreadsheet_cell(image_path), *box])
            files.append(out / name)
        root = lib.path
    record_written(root, files)
    return len(files) - 1
