"""The graph's files in a library: which engine, where its file is, the lock that lets many
readers or one writer in, and the checksum that tells an intact graph from a damaged one.

No engine is loaded here; `facegraph.graph` opens the files.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from pathlib import Path

from ..errors import GraphEngineError
from ..library import DEFAULT_ENGINE, ENGINE_ENV, ENGINES, GRAPH_FILES, file_lock


def resolve_engine(engine: str | None = None) -> str:
    """`engine`, else ``$FACEGRAPH_GRAPH_ENGINE``, else kuzu."""
    chosen = (engine or os.environ.get(ENGINE_ENV) or DEFAULT_ENGINE).lower()
    if chosen not in ENGINES:
        raise GraphEngineError(f"unknown graph engine {chosen!r}; choose one of {ENGINES}")
    return chosen


def graph_path(library_root: Path, engine: str) -> Path:
    return Path(library_root) / GRAPH_FILES[resolve_engine(engine)]


def graph_files(path: Path) -> list[Path]:
    """The database file and whatever the engine keeps beside it (write-ahead log...)."""
    if not path.parent.exists():
        return []
    return [
        p
        for p in path.parent.iterdir()
        if p.name == path.name or p.name.startswith(path.name + ".")
    ]


def remove_graph(path: Path) -> None:
    for file in graph_files(path):
        file.unlink(missing_ok=True)


def existing_engines(library_root: Path) -> list[str]:
    """Engines whose graph exists in this library."""
    return [engine for engine in ENGINES if graph_path(library_root, engine).exists()]


def graph_lock(library_root: Path, *, exclusive: bool) -> contextlib.AbstractContextManager:
    """Readers share the graph, a writer has it alone; each waits its turn (`lock_timeout`)."""
    return file_lock(Path(library_root) / "graph.lock", exclusive=exclusive)


def checksum_path(path: Path) -> Path:
    return path.with_name(path.name + ".sum")


def _file_digest(path: Path) -> str:
    digest = hashlib.blake2b(digest_size=16)
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return f"{path.stat().st_size} {digest.hexdigest()}"


def write_checksum(path: Path) -> None:
    """Record the graph file's size and hash, written after every change to it."""
    if path.exists():
        target = checksum_path(path)
        partial = target.with_name(target.name + ".partial")
        partial.write_text(_file_digest(path))
        os.replace(partial, target)


#: what the engine keeps beside the graph only while a write is open: found when none is (the
#: callers hold the graph's lock), a write was cut short, e.g. a CHECKPOINT on a read-only
#: database, which leaves a shadow file no read-only open will get past
_WRITES_IN_FLIGHT = (".wal", ".shadow")


def is_intact(path: Path) -> bool:
    """The graph file is there, is byte for byte what facegraph last wrote, and no write of the
    engine's was left half done beside it."""
    if any(path.with_name(path.name + suffix).exists() for suffix in _WRITES_IN_FLIGHT):
        return False
    try:
        return checksum_path(path).read_text().strip() == _file_digest(path)
    except (OSError, ValueError):
        return False
