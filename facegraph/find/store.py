"""The SQL behind finding faces: the encodings to search, and what describes a match."""

from __future__ import annotations

from collections.abc import Iterator

import duckdb
import numpy as np

DIMENSIONS = 128


def library_state(con: duckdb.DuckDBPyConnection) -> list:
    """What a cache of the encodings must match: how many faces have an encoding, their
    largest and summed IDs, and when a photo was last analysed."""
    count, top, total, analysed = con.execute(
        "SELECT count(*), coalesce(max(face_id), 0), coalesce(sum(face_id), 0),"
        " (SELECT coalesce(max(ingested_at)::VARCHAR, '') FROM images)"
        " FROM faces WHERE encoding IS NOT NULL"
    ).fetchall()[0]
    return [int(count), int(top), int(total), analysed]


def encoding_batches(
    con: duckdb.DuckDBPyConnection, batch: int
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """``(face_ids, encodings)`` of every face with an encoding, by face ID, `batch` at a time."""
    reader = con.sql(
        "SELECT face_id, encoding FROM faces WHERE encoding IS NOT NULL ORDER BY face_id"
    ).to_arrow_reader(batch)
    for part in reader:
        yield (
            part.column(0).to_numpy().astype(np.int64),
            part.column(1).flatten().to_numpy().reshape(-1, DIMENSIONS).astype(np.float32),
        )


def stored_face(con: duckdb.DuckDBPyConnection, face_id: int) -> tuple | None:
    """``(box, encoding)`` of a face that has an encoding, else None."""
    row = con.execute(
        "SELECT box_left, box_top, box_right, box_bottom, encoding FROM faces"
        " WHERE face_id = ? AND encoding IS NOT NULL",
        [face_id],
    ).fetchall()
    row = row[0] if row else None
    return None if row is None else (tuple(row[:4]), np.asarray(row[4], np.float32))


def describe_faces(con: duckdb.DuckDBPyConnection, face_ids: list[int]) -> list[dict]:
    """Photo, person and box of each face that is a face (not marked otherwise, not
    forgotten)."""
    if not face_ids:
        return []
    cursor = con.execute(
        "SELECT f.face_id, f.image_id, i.path, f.person_id, p.name, coalesce(p.hidden, false)"
        " AS hidden, i.taken_at, f.box_left, f.box_top, f.box_right, f.box_bottom,"
        " f.assigned_by FROM faces f JOIN images i USING (image_id)"
        " LEFT JOIN people p ON p.person_id = f.person_id"
        " WHERE f.face_id IN (SELECT unnest(?)) AND NOT f.not_a_face AND NOT f.forgotten",
        [face_ids],
    )
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def rejected_for(con: duckdb.DuckDBPyConnection, person_id: int | None) -> set[int]:
    """The faces a user said are not this person."""
    if person_id is None:
        return set()
    rows = con.execute("SELECT face_id FROM face_rejections WHERE person_id = ?", [person_id])
    return {row[0] for row in rows.fetchall()}


def images_with_hashes(con: duckdb.DuckDBPyConnection, hashes: list[str]) -> dict[int, str]:
    """``{image_id: path}`` of stored photos with these contents."""
    if not hashes:
        return {}
    rows = con.execute(
        "SELECT image_id, path FROM images WHERE content_hash IN (SELECT unnest(?))", [hashes]
    ).fetchall()
    return dict(rows)


def faces_of_photos(con: duckdb.DuckDBPyConnection, paths: list[str]) -> dict[str, list[dict]]:
    """``{path: [face, ...]}`` of stored photos: each face's id, box, person and who placed it
    (faces marked "not a face" or forgotten left out); a photo that failed has no key."""
    cursor = con.execute(
        "SELECT i.path, f.face_id, f.box_left, f.box_top, f.box_right, f.box_bottom,"
        " f.person_id, f.assigned_by FROM images i LEFT JOIN faces f ON f.image_id = i.image_id"
        " AND NOT f.not_a_face AND NOT f.forgotten AND f.encoding IS NOT NULL"
        " WHERE i.path IN (SELECT unnest(?)) AND i.status <> 'error' ORDER BY i.path, f.face_id",
        [paths],
    )
    found: dict[str, list[dict]] = {}
    for path, face_id, left, top, right, bottom, person, by in cursor.fetchall():
        faces = found.setdefault(path, [])
        if face_id is not None:
            box = (left, top, right, bottom)
            faces.append({"face_id": face_id, "box": box, "person_id": person, "by": by})
    return found
