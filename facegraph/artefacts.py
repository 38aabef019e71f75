"""Files facegraph writes that show people (pages, exports, mosaics, crops), remembered per
library so that forgetting a person can remove them.

Each write appends one line to ``LIBRARY/artefacts.jsonl``: the file's absolute path. Files
inside the library are facegraph's own and are removed when a person is forgotten; files
written elsewhere (an export to your desktop) are the user's, and are listed instead.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .library import file_lock

log = logging.getLogger(__name__)

REGISTRY = "artefacts.jsonl"
#: the folder of the library's encodings as one matrix, for `facegraph find`
#: (`facegraph.find.matrix`); derived from the database, deleted when a person is forgotten
ENCODING_CACHE = "find-cache"
#: the kind of the photos' XMP files (sidecars, or photos) `facegraph export regions` wrote
REGION_FILES = "xmp-regions"


def record_written(
    library_root: Path, paths: Iterable[str | os.PathLike[str]], kind: str | None = None
) -> None:
    """Remember files just written from this library (`kind`: `REGION_FILES` for the photos'
    metadata files, which are edited, never deleted, when a person is forgotten)."""
    extra = {"kind": kind} if kind else {}
    lines = "".join(json.dumps({"path": str(Path(p).absolute()), **extra}) + "\n" for p in paths)
    if not lines or not Path(library_root).is_dir():
        return
    registry = Path(library_root) / REGISTRY
    try:
        with file_lock(registry.with_suffix(".lock"), exclusive=True), open(registry, "a") as out:
            out.write(lines)
    except OSError as exc:  # a read-only library: the export itself went elsewhere and worked
        log.warning("could not note %s in %s (%s)", lines.strip(), registry, exc.strerror)


def _entries(library_root: Path) -> dict[str, str | None]:
    """``{path: kind}`` of every remembered file, oldest first."""
    registry = Path(library_root) / REGISTRY
    if not registry.exists():
        return {}
    seen: dict[str, str | None] = {}
    for line in registry.read_text("utf-8").splitlines():
        try:
            entry = json.loads(line)
            seen.setdefault(entry["path"], entry.get("kind"))
        except (ValueError, KeyError, TypeError, AttributeError):
            continue  # a line torn by a crash
    return seen


def written(library_root: Path, kind: str | None = None) -> list[Path]:
    """Every remembered file of `kind` (None: pages, exports, crops) that still exists,
    oldest first, each once."""
    return [Path(p) for p, k in _entries(library_root).items() if k == kind and Path(p).exists()]


@dataclass
class Cleanup:
    removed: list[Path] = field(default_factory=list)  # inside the library: deleted
    elsewhere: list[Path] = field(default_factory=list)  # outside: may still show the person


def remove_written(library_root: Path) -> Cleanup:
    """Delete the remembered files inside the library; list the ones written elsewhere."""
    root = Path(library_root).absolute()
    cleanup = Cleanup()
    for path in written(root):
        if path.is_relative_to(root):
            path.unlink(missing_ok=True)
            cleanup.removed.append(path)
        else:
            cleanup.elsewhere.append(path)
    registry = root / REGISTRY
    if registry.exists():
        kept = [{"path": str(p)} for p in cleanup.elsewhere] + [
            {"path": p, "kind": k} for p, k in _entries(root).items() if k is not None
        ]
        with file_lock(registry.with_suffix(".lock"), exclusive=True):
            registry.write_text("".join(json.dumps(entry) + "\n" for entry in kept))
    return cleanup


def remove_encoding_cache(library_root: Path) -> None:
    """Delete the cached copy of the library's encodings (it is rebuilt when needed)."""
    shutil.rmtree(Path(library_root) / ENCODING_CACHE, ignore_errors=True)
