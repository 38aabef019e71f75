"""The graph projection: ``Person`` and ``Image`` nodes joined by ``APPEARS_IN`` edges.

DuckDB is the source of truth; the graph (Kùzu, or its maintained fork ladybug: same API and
Cypher, another file format) is built from the views ``network_people``, ``network_photos`` and
``appearances`` and can always be rebuilt. `sync` compares what DuckDB says the graph should
hold with what it holds and applies the difference; when most of it changed, a rebuild into a
new file is faster and replaces the old one in one rename. A fingerprint of the source rows,
stored in the graph, makes "nothing changed" a single aggregate query.

This is the only module that speaks Cypher to the engine (named user queries aside).
"""

from __future__ import annotations

import importlib
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from .errors import GraphEngineError, LibraryInUseError, QueryError
from .library import DEFAULT_ENGINE, ENGINE_ENV, ENGINES, GRAPH_FILES, Library

#: bump when the schema below or the meaning of a property changes: old graphs are rebuilt
PROJECTION_VERSION = 1
#: above this share of changed edges, a rebuild beats applying the changes one by one
REBUILD_SHARE = 0.25

SCHEMA = (
    "CREATE NODE TABLE Person(id INT64 PRIMARY KEY, name STRING, photos INT64)",
    "CREATE NODE TABLE Image(id INT64 PRIMARY KEY, path STRING, taken_at TIMESTAMP, people INT64)",
    "CREATE REL TABLE APPEARS_IN(FROM Person TO Image, face_id INT64, box_left INT64,"
    " box_top INT64, box_right INT64, box_bottom INT64)",
    "CREATE NODE TABLE GraphState(key STRING PRIMARY KEY, value STRING)",
)

_SOURCE = {
    "Person": "SELECT person_id AS id, name, photos FROM network_people ORDER BY id",
    "Image": "SELECT image_id AS id, path, taken_at, people FROM network_photos ORDER BY id",
    "APPEARS_IN": (
        'SELECT person_id AS "from", image_id AS "to", face_id, box_left::BIGINT AS box_left,'
        " box_top::BIGINT AS box_top, box_right::BIGINT AS box_right,"
        " box_bottom::BIGINT AS box_bottom FROM appearances ORDER BY face_id"
    ),
}

_FINGERPRINT = """
SELECT (SELECT count(*) || '/' || coalesce(bit_xor(hash(person_id, image_id, face_id)), 0)
        FROM appearances)
    || '|' || (SELECT coalesce(bit_xor(hash(person_id, name, photos)), 0) FROM network_people)
    || '|' || (SELECT coalesce(bit_xor(hash(image_id, path, taken_at, people)), 0)
               FROM network_photos)
"""


@dataclass
class SyncReport:
    engine: str
    mode: str  # "current" (nothing to do), "incremental" or "rebuild"
    people: int = 0
    photos: int = 0
    appearances: int = 0
    added: int = 0  # nodes and edges created
    removed: int = 0  # nodes and edges deleted
    updated: int = 0  # nodes whose properties changed
    seconds: float = 0.0

    def as_dict(self) -> dict:
        return asdict(self)


def resolve_engine(engine: str | None = None) -> str:
    """`engine`, else ``$FACEGRAPH_GRAPH_ENGINE``, else kuzu."""
    chosen = (engine or os.environ.get(ENGINE_ENV) or DEFAULT_ENGINE).lower()
    if chosen not in ENGINES:
        raise GraphEngineError(f"unknown graph engine {chosen!r}; choose one of {ENGINES}")
    return chosen


def graph_path(library_root: Path, engine: str) -> Path:
    return Path(library_root) / GRAPH_FILES[resolve_engine(engine)]


def _engine_module(engine: str) -> Any:
    try:
        return importlib.import_module(engine)
    except ImportError:
        raise GraphEngineError(
            f"graph engine {engine!r} is not installed; pip install {engine}"
        ) from None


class Graph:
    """An open graph database. Use as a context manager."""

    def __init__(self, path: Path, engine: str, read_only: bool = False):
        module = _engine_module(engine)
        self.path, self.engine, self.read_only = path, engine, read_only
        try:
            self.database = module.Database(str(path), read_only=read_only)
        except RuntimeError as exc:
            if "lock" in str(exc).lower():
                raise LibraryInUseError(
                    f"graph {path} is in use by another process; wait for it to finish"
                ) from None
            raise
        self.connection = module.Connection(self.database)

    def execute(self, query: str, parameters: dict[str, Any] | None = None) -> pa.Table:
        result = self.connection.execute(query, parameters or {})
        if isinstance(result, list):  # several statements: the last one answers
            result = result[-1]
        if not result.get_column_names():  # a write that returns nothing
            return pa.table({})
        return result.get_as_arrow()

    def copy(self, table_name: str, rows: pa.Table) -> None:
        """Bulk-load Arrow rows (never pandas: Kùzu 0.11 crashes on pandas 3 strings)."""
        if rows.num_rows:
            self.execute(f"COPY {table_name} FROM $rows", {"rows": rows})

    def state(self) -> str | None:
        """The fingerprint of the source rows this graph was built from; None if unknown."""
        try:
            rows = self.execute(
                "MATCH (s:GraphState) WHERE s.key = 'fingerprint' RETURN s.value"
            ).to_pylist()
        except RuntimeError:  # not a graph of ours, or an interrupted build: rebuild it
            return None
        return rows[0]["s.value"] if rows else None

    def set_state(self, fingerprint: str) -> None:
        self.execute(
            "MERGE (s:GraphState {key: 'fingerprint'}) SET s.value = $value", {"value": fingerprint}
        )

    def close(self) -> None:
        self.connection.close()
        self.database.close()

    def __enter__(self) -> Graph:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _graph_files(path: Path) -> list[Path]:
    """The database file and whatever the engine keeps beside it (write-ahead log...)."""
    if not path.parent.exists():
        return []
    return [
        p
        for p in path.parent.iterdir()
        if p.name == path.name or p.name.startswith(path.name + ".")
    ]


def remove_graph(path: Path) -> None:
    for file in _graph_files(path):
        file.unlink()


def existing_engines(library_root: Path) -> list[str]:
    """Engines whose graph exists in this library."""
    return [engine for engine in ENGINES if graph_path(library_root, engine).exists()]


def source_fingerprint(con: duckdb.DuckDBPyConnection) -> str:
    (value,) = con.execute(_FINGERPRINT).fetchall()[0]
    return f"v{PROJECTION_VERSION}:{value}"


def _source(con: duckdb.DuckDBPyConnection, table_name: str) -> pa.Table:
    return con.sql(_SOURCE[table_name]).to_arrow_table()


# ---------------------------------------------------------------- sync


def sync(
    library: str | os.PathLike[str] | None = None,
    engine: str | None = None,
    *,
    rebuild: bool = False,
) -> SyncReport:
    """Bring the library's graph up to date with DuckDB (creating it if needed)."""
    with Library.open(library) as lib:
        return sync_library(lib, engine, rebuild=rebuild)


def sync_library(lib: Library, engine: str | None = None, *, rebuild: bool = False) -> SyncReport:
    """`sync` for an already open library (read-only or writer)."""
    engine = resolve_engine(engine)
    started = time.monotonic()
    con = lib.connection
    path = graph_path(lib.path, engine)
    fingerprint = source_fingerprint(con)
    report: SyncReport | None = None
    if path.exists() and not rebuild:
        with Graph(path, engine) as graph:
            stored = graph.state()
            if stored == fingerprint:
                report = SyncReport(engine=engine, mode="current")
            elif stored is not None and stored.startswith(f"v{PROJECTION_VERSION}:"):
                report = _apply_changes(graph, con, fingerprint, engine)
    if report is None:
        report = _rebuild(path, con, fingerprint, engine)
    report.seconds = time.monotonic() - started
    return report


def refresh_existing(lib: Library, *, rebuild: bool = False) -> list[SyncReport]:
    """Sync every graph this library has (none: nothing to do). Called after each change."""
    return [sync_library(lib, engine, rebuild=rebuild) for engine in existing_engines(lib.path)]


def _rebuild(
    path: Path, con: duckdb.DuckDBPyConnection, fingerprint: str, engine: str
) -> SyncReport:
    """Build into a new file, then replace the old graph with it in one rename."""
    fresh = path.with_name("building-" + path.name)
    remove_graph(fresh)
    sources = {name: _source(con, name) for name in ("Person", "Image", "APPEARS_IN")}
    with Graph(fresh, engine) as graph:
        for statement in SCHEMA:
            graph.execute(statement)
        for name, rows in sources.items():
            graph.copy(name, rows)
        graph.set_state(fingerprint)
    remove_graph(path)
    for file in _graph_files(fresh):
        file.rename(path.with_name(path.name + file.name[len(fresh.name) :]))
    people, photos, edges = (sources[n].num_rows for n in ("Person", "Image", "APPEARS_IN"))
    return SyncReport(engine, "rebuild", people, photos, edges, added=people + photos + edges)


_CURRENT = {
    "Person": "MATCH (p:Person) RETURN p.id AS id, p.name AS name, p.photos AS photos",
    "Image": (
        "MATCH (i:Image) RETURN i.id AS id, i.path AS path, i.taken_at AS taken_at,"
        " i.people AS people"
    ),
    "APPEARS_IN": (
        "MATCH (p:Person)-[e:APPEARS_IN]->(i:Image)"
        " RETURN p.id AS `from`, i.id AS `to`, e.face_id AS face_id"
    ),
}

_UPDATE = {
    "Person": "UNWIND $rows AS r MATCH (n:Person {id: r.id}) SET n.name = r.name,"
    " n.photos = r.photos",
    "Image": "UNWIND $rows AS r MATCH (n:Image {id: r.id}) SET n.path = r.path,"
    " n.taken_at = r.taken_at, n.people = r.people",
}


def _apply_changes(
    graph: Graph, con: duckdb.DuckDBPyConnection, fingerprint: str, engine: str
) -> SyncReport | None:
    """Delete, update and add just what differs; None when so much differs that a rebuild is
    faster."""
    diff = duckdb.connect()  # an in-memory engine to compare the two sides
    wanted = {name: _source(con, name) for name in _SOURCE}
    for name, rows in wanted.items():
        diff.register(f"wanted_{name}", rows)
        diff.register(f"held_{name}", graph.execute(_CURRENT[name]))
    gone_edges = _column(
        diff, "SELECT face_id FROM held_APPEARS_IN EXCEPT SELECT face_id FROM wanted_APPEARS_IN"
    )
    new_edges = diff.sql(
        "SELECT w.* FROM wanted_APPEARS_IN w ANTI JOIN held_APPEARS_IN h"
        ' ON h.face_id = w.face_id AND h."from" = w."from" AND h."to" = w."to"'
    ).to_arrow_table()
    # an edge whose face moved to another person is deleted and created again
    moved = _column(
        diff,
        "SELECT h.face_id FROM held_APPEARS_IN h JOIN wanted_APPEARS_IN w USING (face_id)"
        ' WHERE h."from" <> w."from" OR h."to" <> w."to"',
    )
    if len(gone_edges) + new_edges.num_rows > REBUILD_SHARE * max(wanted["APPEARS_IN"].num_rows, 1):
        diff.close()
        return None
    report = SyncReport(engine, "incremental")
    removed_edges = sorted(set(gone_edges) | set(moved))
    if removed_edges:
        graph.execute(
            "MATCH (:Person)-[e:APPEARS_IN]->(:Image) WHERE e.face_id IN $ids DELETE e",
            {"ids": removed_edges},
        )
    report.removed += len(removed_edges)
    for name in ("Person", "Image"):
        gone = _column(diff, f"SELECT id FROM held_{name} EXCEPT SELECT id FROM wanted_{name}")
        if gone:
            graph.execute(f"MATCH (n:{name}) WHERE n.id IN $ids DETACH DELETE n", {"ids": gone})
        changed = diff.sql(
            f"SELECT w.* FROM wanted_{name} w JOIN held_{name} h USING (id)"
            f" WHERE ({_columns_differ(wanted[name])})"
        ).to_arrow_table()
        if changed.num_rows:
            graph.execute(_UPDATE[name], {"rows": changed.to_pylist()})
        added = diff.sql(
            f"SELECT * FROM wanted_{name} ANTI JOIN held_{name} USING (id)"
        ).to_arrow_table()
        graph.copy(name, added)
        report.removed += len(gone)
        report.updated += changed.num_rows
        report.added += added.num_rows
    graph.copy("APPEARS_IN", new_edges)
    report.added += new_edges.num_rows
    graph.set_state(fingerprint)
    report.people, report.photos, report.appearances = (
        wanted[n].num_rows for n in ("Person", "Image", "APPEARS_IN")
    )
    diff.close()
    return report


def _column(con: duckdb.DuckDBPyConnection, query: str) -> list:
    return [row[0] for row in con.execute(query).fetchall()]


def _columns_differ(rows: pa.Table) -> str:
    return " OR ".join(f"w.{c} IS DISTINCT FROM h.{c}" for c in rows.column_names if c != "id")


# ---------------------------------------------------------------- queries


@contextmanager
def open_graph(
    library: str | os.PathLike[str] | None = None,
    engine: str | None = None,
    *,
    write: bool = False,
) -> Iterator[Graph]:
    """The library's graph, synced first if DuckDB changed since; read-only unless `write`."""
    engine = resolve_engine(engine)
    with Library.open(library) as lib:
        sync_library(lib, engine)
        path = graph_path(lib.path, engine)
    with Graph(path, engine, read_only=not write) as graph:
        try:
            yield graph
        finally:
            if write:  # the user may have changed the projection: compare everything next time
                graph.set_state(f"v{PROJECTION_VERSION}:changed-by-user")


def run_cypher(
    library: str | os.PathLike[str] | None,
    query: str,
    parameters: dict[str, Any] | None = None,
    engine: str | None = None,
    *,
    write: bool = False,
) -> pa.Table:
    """Run one Cypher query on the (synced) graph; parameters are bound, never pasted."""
    with open_graph(library, engine, write=write) as graph:
        try:
            return graph.execute(query, parameters)
        except RuntimeError as exc:
            raise QueryError(_first_line(exc)) from None


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
