"""Keeping the graph in step with DuckDB: a fingerprint says whether anything changed, a diff
applies just the changes, a rebuild into a new file replaces the old one in one rename."""

from __future__ import annotations

import logging
import os
import time
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

from ..library import Library
from .engine import SCHEMA, Graph
from .files import (
    checksum_path,
    existing_engines,
    graph_files,
    graph_lock,
    graph_path,
    is_intact,
    remove_graph,
    resolve_engine,
)

#: bump when `engine.SCHEMA` or the meaning of a property changes: old graphs are rebuilt
PROJECTION_VERSION = 3
#: above this share of changed edges, a rebuild beats applying the changes one by one
REBUILD_SHARE = 0.25

_SOURCE = {
    "Person": (
        "SELECT person_id AS id, name, photos, moments, gender, gender_confidence::DOUBLE AS"
        " gender_confidence, age::DOUBLE AS age, birth_year::BIGINT AS birth_year"
        " FROM network_people ORDER BY id"
    ),
    "Image": (
        "SELECT image_id AS id, path, taken_at, people, moment FROM network_photos ORDER BY id"
    ),
    "APPEARS_IN": (
        'SELECT person_id AS "from", image_id AS "to", face_id, box_left::BIGINT AS box_left,'
        " box_top::BIGINT AS box_top, box_right::BIGINT AS box_right,"
        " box_bottom::BIGINT AS box_bottom FROM appearances ORDER BY face_id"
    ),
}

log = logging.getLogger(__name__)

_FINGERPRINT = """
SELECT (SELECT count(*) || '/' || coalesce(bit_xor(hash(person_id, image_id, face_id)), 0)
        FROM appearances)
    || '|' || (SELECT coalesce(bit_xor(hash(person_id, name, photos, moments, gender,
                                            gender_confidence, age, birth_year)), 0)
               FROM network_people)
    || '|' || (SELECT coalesce(bit_xor(hash(image_id, path, taken_at, people, moment)), 0)
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
    path = graph_path(lib.path, engine)
    fingerprint = source_fingerprint(lib.connection)
    report: SyncReport | None = None
    if not rebuild:  # most calls end here, as readers
        with graph_lock(lib.path, exclusive=False):
            if _stored_fingerprint(path, engine) == fingerprint:
                report = SyncReport(engine=engine, mode="current")
    if report is None:
        with graph_lock(lib.path, exclusive=True):
            report = _bring_up_to_date(lib, path, engine, fingerprint, rebuild)
    report.seconds = time.monotonic() - started
    return report


def _stored_fingerprint(path: Path, engine: str) -> str | None:
    """The fingerprint an intact graph holds; None when it is missing, damaged or foreign."""
    if not is_intact(path):
        return None
    with Graph(path, engine, read_only=True) as graph:
        return graph.state()


def _bring_up_to_date(
    lib: Library, path: Path, engine: str, fingerprint: str, rebuild: bool
) -> SyncReport:
    """Under the writer's lock: apply the changes, or rebuild when that is faster or fails."""
    if not rebuild and is_intact(path):
        with Graph(path, engine) as graph:
            stored = graph.state()
            if stored == fingerprint:  # another process synced it meanwhile
                return SyncReport(engine=engine, mode="current")
            report = None
            if stored is not None and stored.startswith(f"v{PROJECTION_VERSION}:"):
                try:
                    report = _apply_changes(graph, lib.connection, fingerprint, engine)
                except Exception as exc:  # the graph is a projection: rebuild it
                    log.warning("incremental graph sync failed (%s); rebuilding", exc)
        if report is not None:
            return report
    elif path.exists() and not rebuild:
        log.warning("graph %s is damaged or unknown; rebuilding it", path)
    return _rebuild(path, lib.connection, fingerprint, engine)


def refresh_existing(lib: Library, *, rebuild: bool = False) -> list[SyncReport]:
    """Sync every graph this library has (none: nothing to do). Called after each change."""
    return [sync_library(lib, engine, rebuild=rebuild) for engine in existing_engines(lib.path)]


def _rebuild(
    path: Path, con: duckdb.DuckDBPyConnection, fingerprint: str, engine: str
) -> SyncReport:
    """Build into a file of its own, then put it in place of the old graph in one rename."""
    fresh = path.with_name(f"building-{uuid.uuid4().hex[:12]}-{path.name}")
    sources = {name: _source(con, name) for name in ("Person", "Image", "APPEARS_IN")}
    try:
        with Graph(fresh, engine) as graph:
            for statement in SCHEMA:
                graph.execute(statement)
            for name, rows in sources.items():
                graph.copy(name, rows)
            graph.set_state(fingerprint)
        for file in graph_files(path):  # the old graph's log and checksum must not outlive it
            if file != path:
                file.unlink()
        os.replace(checksum_path(fresh), checksum_path(path))
        os.replace(fresh, path)
    finally:
        remove_graph(fresh)
    people, photos, edges = (sources[n].num_rows for n in ("Person", "Image", "APPEARS_IN"))
    return SyncReport(engine, "rebuild", people, photos, edges, added=people + photos + edges)


_CURRENT = {
    "Person": (
        "MATCH (p:Person) RETURN p.id AS id, p.name AS name, p.photos AS photos,"
        " p.moments AS moments, p.gender AS gender, p.gender_confidence AS gender_confidence,"
        " p.age AS age, p.birth_year AS birth_year"
    ),
    "Image": (
        "MATCH (i:Image) RETURN i.id AS id, i.path AS path, i.taken_at AS taken_at,"
        " i.people AS people, i.moment AS moment"
    ),
    "APPEARS_IN": (
        "MATCH (p:Person)-[e:APPEARS_IN]->(i:Image)"
        " RETURN p.id AS `from`, i.id AS `to`, e.face_id AS face_id"
    ),
}

_UPDATE = {
    "Person": "UNWIND $rows AS r MATCH (n:Person {id: r.id}) SET n.name = r.name,"
    " n.photos = r.photos, n.moments = r.moments, n.gender = CAST(r.gender AS STRING),"
    " n.gender_confidence = CAST(r.gender_confidence AS DOUBLE), n.age = CAST(r.age AS DOUBLE),"
    " n.birth_year = CAST(r.birth_year AS INT64)",
    # CAST: when every changed photo is undated, the engine types the column as STRING
    "Image": "UNWIND $rows AS r MATCH (n:Image {id: r.id}) SET n.path = r.path,"
    " n.taken_at = CAST(r.taken_at AS TIMESTAMP), n.people = r.people, n.moment = r.moment",
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
