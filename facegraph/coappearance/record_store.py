"""The SQL behind the run record (`manifest`): the input photos by contents, the detector
settings, the edits in force, the last clustering run, the library's counts."""

from __future__ import annotations

import duckdb


def photo_hashes(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The content hash of every photo analysed (not missing), sorted: the input, by contents."""
    rows = con.execute(
        "SELECT content_hash FROM images WHERE missing_since IS NULL AND status != 'error'"
        " AND content_hash IS NOT NULL ORDER BY content_hash"
    ).fetchall()
    return [h for (h,) in rows]


def detection_settings(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Each detector setting photos were analysed with, and how many photos."""
    rows = con.execute(
        "SELECT coalesce(detection, 'unknown'), count(*) FROM images"
        " WHERE missing_since IS NULL AND status != 'error' GROUP BY ALL ORDER BY 1"
    ).fetchall()
    return dict(rows)


def applied_edits(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    """``(action, detail)`` of every edit in force (not undone), oldest first; clustering runs
    are not edits."""
    return con.execute(
        "SELECT action, detail FROM edits WHERE NOT undone AND action != 'cluster' ORDER BY edit_id"
    ).fetchall()


def last_clustering(con: duckdb.DuckDBPyConnection) -> tuple[str, object] | None:
    """``(detail, edited_at)`` of the newest clustering run."""
    rows = con.execute(
        "SELECT detail, edited_at FROM edits WHERE action = 'cluster' ORDER BY edit_id DESC LIMIT 1"
    ).fetchall()
    return rows[0] if rows else None


def library_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    (faces, people, unassigned) = con.execute(
        "SELECT count(*), count(DISTINCT person_id), count(*) FILTER (person_id IS NULL)"
        " FROM faces WHERE NOT not_a_face AND NOT forgotten"
    ).fetchall()[0]
    return {"faces": faces, "people": people, "unassigned_faces": unassigned}
