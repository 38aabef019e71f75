"""The edit log: what each edit changed, so that `undo` can put it back, and the history."""

from __future__ import annotations

import json
from collections.abc import Iterable

import duckdb


def snapshot(
    con: duckdb.DuckDBPyConnection, face_ids: Iterable[int], person_ids: Iterable[int]
) -> dict:
    """The rows an edit may change, to put them back on undo."""
    face_ids, person_ids = sorted(set(face_ids)), sorted(set(person_ids))
    faces = con.execute(
        "SELECT face_id, person_id, assigned_by, not_a_face FROM faces"
        " WHERE face_id IN (SELECT unnest(?))",
        [face_ids],
    ).fetchall()
    people = con.execute(
        "SELECT person_id, name, hidden, strftime(created_at, '%Y-%m-%d %H:%M:%S.%f') FROM people"
        " WHERE person_id IN (SELECT unnest(?))",
        [person_ids],
    ).fetchall()
    rejected = con.execute(
        "SELECT face_id, person_id FROM face_rejections WHERE face_id IN (SELECT unnest(?))",
        [face_ids],
    ).fetchall()
    apart = con.execute(
        "SELECT person_a, person_b FROM people_apart WHERE person_a IN (SELECT unnest($1))"
        " OR person_b IN (SELECT unnest($1))",
        [person_ids],
    ).fetchall()
    return {
        "apart": [list(r) for r in apart],
        "faces": [list(r) for r in faces],
        "face_ids": face_ids,
        "people": [list(r) for r in people],
        "person_ids": person_ids,
        "rejections": [list(r) for r in rejected],
    }


def restore(con: duckdb.DuckDBPyConnection, before: dict) -> None:
    """Put the rows of a snapshot back; people that did not exist then are removed."""
    known_people = {row[0] for row in before["people"]}
    gone = [p for p in before["person_ids"] if p not in known_people]
    if gone:
        con.execute("DELETE FROM people WHERE person_id IN (SELECT unnest(?))", [gone])
    for person_id, name, hidden, created in before["people"]:
        con.execute(
            "INSERT INTO people (person_id, name, hidden, created_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (person_id) DO UPDATE SET name = excluded.name, hidden = excluded.hidden",
            [person_id, name, hidden, created],
        )
    for face_id, person_id, assigned_by, not_a_face in before["faces"]:
        con.execute(
            "UPDATE faces SET person_id = ?, assigned_by = ?, not_a_face = ? WHERE face_id = ?",
            [person_id, assigned_by, not_a_face, face_id],
        )
    con.execute(
        "DELETE FROM face_rejections WHERE face_id IN (SELECT unnest(?))", [before["face_ids"]]
    )
    if before["rejections"]:
        con.executemany("INSERT INTO face_rejections VALUES (?, ?)", before["rejections"])
    if "apart" in before:  # snapshots from before people could be kept apart have none
        con.execute(
            "DELETE FROM people_apart WHERE person_a IN (SELECT unnest($1))"
            " OR person_b IN (SELECT unnest($1))",
            [before["person_ids"]],
        )
        if before["apart"]:
            con.executemany(
                "INSERT OR IGNORE INTO people_apart (person_a, person_b) VALUES (?, ?)",
                before["apart"],
            )


def log_edit(con: duckdb.DuckDBPyConnection, action: str, detail: dict, before: dict | None) -> int:
    return con.execute(
        "INSERT INTO edits (action, detail, previous) VALUES (?, ?, ?) RETURNING edit_id",
        [action, json.dumps(detail), None if before is None else json.dumps(before)],
    ).fetchall()[0][0]


def undoable_edits(con: duckdb.DuckDBPyConnection, count: int) -> list[tuple[int, str, dict]]:
    rows = con.execute(
        "SELECT edit_id, action, previous FROM edits WHERE NOT undone AND previous IS NOT NULL"
        " ORDER BY edit_id DESC LIMIT ?",
        [count],
    ).fetchall()
    return [(edit_id, action, json.loads(previous)) for edit_id, action, previous in rows]


def mark_undone(con: duckdb.DuckDBPyConnection, edit_id: int) -> None:
    con.execute("UPDATE edits SET undone = true WHERE edit_id = ?", [edit_id])


def edit_log(con: duckdb.DuckDBPyConnection, limit: int = 50) -> list[dict]:
    rows = con.execute(
        "SELECT edit_id, edited_at, action, detail, undone, previous IS NOT NULL FROM edits"
        " ORDER BY edit_id DESC LIMIT ?",
        [limit],
    ).fetchall()
    keys = ("edit_id", "edited_at", "action", "detail", "undone", "undoable")
    return [{**dict(zip(keys, row, strict=True)), "detail": json.loads(row[3])} for row in rows]


def forget_in_edit_log(con: duckdb.DuckDBPyConnection, person_id: int) -> None:
    """The person's names leave the log, and no earlier edit can be undone into them."""
    con.execute(
        "DELETE FROM edits WHERE action = 'name'"
        " AND json_extract(detail, '$.person_id')::BIGINT = ?",
        [person_id],
    )
    con.execute("UPDATE edits SET previous = NULL")


# ---------------------------------------------------------------- people kept apart


def apart_pairs(con: duckdb.DuckDBPyConnection) -> set[tuple[int, int]]:
    """``(a, b)`` with a < b: people a user said are different."""
    return {
        (a, b) for a, b in con.execute("SELECT person_a, person_b FROM people_apart").fetchall()
    }


def keep_apart(con: duckdb.DuckDBPyConnection, a: int, b: int) -> None:
    con.execute(
        "INSERT OR IGNORE INTO people_apart (person_a, person_b) VALUES (?, ?)",
        [min(a, b), max(a, b)],
    )
