"""The graph's files in a library: which engine, where its file is, the lock that lets many
readers or one writer in, and the checksum that tells an intact graph from a damaged one.

No engine is loaded here; `facegraph.graph` opens the files.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..errors import GraphEngineError, LibraryInUseError
from ..library import DEFAULT_ENGINE, ENGINE_ENV, ENGINES, GRAPH_FILES

#: how long a reader or writer waits for another process to finish with the graph
LOCK_TIMEOUT_ENV = "FACEGRAPH_LOCK_TIMEOUT"
LOCK_TIMEOUT = 60.0


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


@contextmanager
def graph_lock(library_root: Path, *, exclusive: bool) -> Iterator[None]:
    """Readers share the graph, a writer has it alone; waits up to `LOCK_TIMEOUT` seconds.

    A library on a read-only disk has no lock file and no writers: readers go ahead."""
    lock_file = Path(library_root) / "graph.lock"
    if not lock_file.exists():
        try:
            lock_file.touch()
        except OSError as exc:
            if exc.errno not in (errno.EROFS, errno.EACCES, errno.EPERM) or exclusive:
                raise
            yield
            return
    timeout = float(os.environ.get(LOCK_TIMEOUT_ENV) or LOCK_TIMEOUT)
    deadline, pause = time.monotonic() + timeout, 0.01
    mode = fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH
    with open(lock_file, "rb") as handle:  # closing it releases the lock
        while True:
            try:
                fcntl.flock(handle, mode | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise LibraryInUseError(
                        f"the graph of {library_root} has been busy for {timeout:.0f} s; "
                        "try again when the other facegraph command has finished"
                    ) from None
                time.sleep(pause)
                pause = min(pause * 2, 0.5)
        yield


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


def is_intact(path: Path) -> bool:
    """The graph file is there and is byte for byte what facegraph last wrote."""
    try:
        return checksum_path(path).read_text().strip() == _file_digest(path)
    except (OSError, ValueError):
        return False
