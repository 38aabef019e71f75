"""Reading the graph: open it synced and locked for reading, run a user's Cypher on it."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pyarrow as pa

from ..errors import LibraryInUseError, QueryError
from ..library import Library
from .engine import Graph
from .files import graph_lock, graph_path, is_intact, resolve_engine
from .update import PROJECTION_VERSION, sync_library


@contextmanager
def open_graph(
    library: str | os.PathLike[str] | None = None,
    engine: str | None = None,
    *,
    write: bool = False,
) -> Iterator[Graph]:
    """The library's graph, synced first if DuckDB changed since; read-only unless `write`.

    While it is open other readers may read too, and no writer changes it."""
    engine = resolve_engine(engine)
    for attempt in range(3):
        with Library.open(library) as lib:
            sync_library(lib, engine, rebuild=attempt > 0)
            root, path = lib.path, graph_path(lib.path, engine)
        with graph_lock(root, exclusive=write):
            if not is_intact(path):  # replaced or damaged since the sync: sync again
                continue
            with Graph(path, engine, read_only=not write) as graph:
                try:
                    yield graph
                finally:
                    if write:  # the user may have changed the projection: compare all next time
                        graph.set_state(f"v{PROJECTION_VERSION}:changed-by-user")
            return
    raise LibraryInUseError(f"the graph at {path} keeps changing under this reader; try again")


def run_cypher(
    library: str | os.PathLike[str] | None,
    query: str,
    parameters: dict[str, Any] | None = None,
    engine: str | None = None,
    *,
    write: bool = False,
    allow_files: bool = False,
) -> pa.Table:
    """Run one Cypher query on the (synced) graph; parameters are bound, never pasted.

    Read-only unless `write`; either way it reaches no file but the graph (no ``COPY``,
    ``LOAD FROM``, ``EXPORT``, ``INSTALL``...) unless `allow_files`."""
    if not allow_files:
        refuse_file_access(query)
    if not write:
        refuse_file_writes(query)
    with open_graph(library, engine, write=write) as graph:
        try:
            return graph.execute(query, parameters)
        except RuntimeError as exc:
            raise QueryError(_first_line(exc)) from None


#: Cypher clauses that read or write files, or load code, outside the graph
_FILE_CLAUSES = re.compile(
    r"\b(COPY|LOAD|EXPORT|IMPORT|INSTALL|UNINSTALL|ATTACH|DETACH|USE)\b", re.IGNORECASE
)
_LITERALS = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"|`[^`]*`|//[^\n]*|/\*.*?\*/", re.S)


#: statements that write the graph's files even on a database opened read-only
_WRITING_STATEMENTS = re.compile(r"\b(CHECKPOINT)\b", re.IGNORECASE)


def refuse_file_writes(query: str) -> None:
    """A `QueryError` for a read-only query that would write the graph's files (Kùzu's
    ``CHECKPOINT`` does, and leaves files beside the graph that its next reader trips on)."""
    found = _WRITING_STATEMENTS.search(_LITERALS.sub(" ", query))
    if found:
        raise QueryError(
            f"{found.group(1).upper()} writes the graph's files, which a read-only query may not;"
            " `facegraph graph sync` keeps the graph in shape"
        )


def refuse_file_access(query: str) -> None:
    """A `QueryError` for Cypher that would reach files or extensions (strings, quoted names
    and comments are not read as clauses)."""
    found = _FILE_CLAUSES.search(_LITERALS.sub(" ", query))
    if found:
        raise QueryError(
            f"{found.group(1).upper()} reaches files outside the graph; "
            "add --allow-files if that is what you mean"
        )


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
