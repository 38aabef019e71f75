"""The SQL behind an evidence sheet: the photos people share, their faces there, every face of
each person (to measure how near a face lies to the rest of them) and the edits that placed
faces by hand."""

from __future__ import annotations

import duckdb
import numpy as np


def shared_photos(con: duckdb.DuckDBPyConnection, person_ids: list[int]) -> list[dict]:
    """The photos in which every one of `person_ids` appears (the network's appearances: hidden
    people and faces marked "not a face" are not in them), oldest first, undated last."""
    rows = con.execute(
        "SELECT i.image_id, i.path, i.taken_at, i.content_hash, i.width, i.height,"
        " coalesce(i.moment, i.image_id), i.frame_s"
        " FROM appearances a JOIN images i ON i.image_id = a.image_id"
        " WHERE a.person_id IN (SELECT unnest($1))"
        " GROUP BY ALL HAVING count(DISTINCT a.person_id) = len(list_distinct($1))"
        " ORDER BY i.taken_at NULLS LAST, i.path",
        [person_ids],
    ).fetchall()
    keys = ("image_id", "path", "taken_at", "content_hash", "width", "height", "moment", "frame_s")
    return [dict(zip(keys, row, strict=True)) for row in rows]


def faces_in_photos(
    con: duckdb.DuckDBPyConnection, image_ids: list[int], person_ids: list[int]
) -> list[dict]:
    """The face of each of `person_ids` in each photo, with how it came to be theirs."""
    rows = con.execute(
        "SELECT a.image_id, a.face_id, a.person_id, a.box_left, a.box_top, a.box_right,"
        " a.box_bottom, f.assigned_by"
        " FROM appearances a JOIN faces f ON f.face_id = a.face_id"
        " WHERE a.image_id IN (SELECT unnest($1)) AND a.person_id IN (SELECT unnest($2))"
        " ORDER BY a.image_id, a.box_left",
        [image_ids, person_ids],
    ).fetchall()
    keys = ("image_id", "face_id", "person_id", "left", "top", "right", "bottom", "assigned_by")
    return [dict(zip(keys, row, strict=True)) for row in rows]


def person_encodings(
    con: duckdb.DuckDBPyConnection, person_id: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(face_ids, image_ids, encodings)`` of every face of the person that has an encoding."""
    rows = con.execute(
        "SELECT face_id, image_id, encoding FROM faces WHERE person_id = ? AND NOT not_a_face"
        " AND NOT forgotten AND encoding IS NOT NULL ORDER BY face_id",
        [person_id],
    ).fetchall()
    if not rows:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros((0, 128), np.float32)
    face_ids, image_ids, encodings = zip(*rows, strict=True)
    return (
        np.array(face_ids, np.int64),
        np.array(image_ids, np.int64),
        np.array(encodings, np.float32),
    )


def last_edits(con: duckdb.DuckDBPyConnection, face_ids: list[int]) -> dict[int, tuple]:
    """Face → ``(action, edited_at)`` of the newest edit (not undone) that changed it."""
    rows = con.execute(
        "SELECT t.face_id, arg_max(e.action, e.edit_id), max(e.edited_at)"
        " FROM edits e, unnest(CAST(json_extract(e.previous, '$.face_ids') AS BIGINT[]))"
        " AS t(face_id)"
        " WHERE NOT e.undone AND e.previous IS NOT NULL AND t.face_id IN (SELECT unnest(?))"
        " GROUP BY t.face_id",
        [face_ids],
    ).fetchall()
    return {int(face): (action, when) for face, action, when in rows}


def people_names(con: duckdb.DuckDBPyConnection, person_ids: list[int]) -> dict[int, str | None]:
    rows = con.execute(
        "SELECT person_id, name FROM people WHERE person_id IN (SELECT unnest(?))", [person_ids]
    ).fetchall()
    return dict(rows)


def faces_of_photo(con: duckdb.DuckDBPyConnection, content_hash: str) -> list[dict]:
    """Every face stored for the photo with these contents (wherever it lies now): its box,
    person and the person's name. Faces marked "not a face" are in too: redaction covers
    whatever anyone ever saw as a face."""
    rows = con.execute(
        "SELECT f.face_id, f.box_left, f.box_top, f.box_right, f.box_bottom,"
        " CASE WHEN f.not_a_face THEN NULL ELSE f.person_id END, p.name"
        " FROM images i JOIN faces f ON f.image_id = i.image_id"
        " LEFT JOIN people p ON p.person_id = f.person_id AND NOT f.not_a_face"
        " WHERE i.content_hash = ? ORDER BY f.face_id",
        [content_hash],
    ).fetchall()
    return [
        {"face_id": face, "box": (left, top, right, bottom), "person_id": person, "name": name}
        for face, left, top, right, bottom, person, name in rows
    ]
