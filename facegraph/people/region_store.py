"""SQL of the names and face regions read from the photos' XMP (table ``photo_regions``)."""

from __future__ import annotations

from collections.abc import Sequence

import duckdb


def pending_names(con: duckdb.DuckDBPyConnection) -> list[dict]:
    """Named face regions whose name is not yet applied to their face, with the face's state."""
    cursor = con.execute(
        "SELECT r.image_id, r.region_index, r.face_id, r.name, r.previous_name, i.path,"
        " f.person_id, f.assigned_by, p.name AS person_name, f.not_a_face, f.forgotten,"
        " EXISTS (SELECT 1 FROM face_rejections x JOIN people q USING (person_id)"
        "         WHERE x.face_id = r.face_id AND lower(trim(q.name)) = lower(trim(r.name)))"
        "   AS rejected"
        " FROM photo_regions r JOIN faces f USING (face_id)"
        " JOIN images i ON i.image_id = r.image_id"
        " LEFT JOIN people p ON p.person_id = f.person_id"
        " WHERE NOT r.applied AND r.name IS NOT NULL"
        " ORDER BY r.image_id, r.region_index"
    )
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def mark_applied(con: duckdb.DuckDBPyConnection, keys: Sequence[tuple[int, int]]) -> None:
    """The regions ``(image_id, region_index)`` have had their say."""
    if keys:
        con.executemany(
            "UPDATE photo_regions SET applied = true, previous_name = NULL"
            " WHERE image_id = ? AND region_index = ?",
            list(keys),
        )


def named_faces(con: duckdb.DuckDBPyConnection) -> list[tuple[int, str]]:
    """``(face_id, name)`` of every face a file names (faces marked "not a face" aside)."""
    return con.execute(
        "SELECT r.face_id, r.name FROM photo_regions r JOIN faces f USING (face_id)"
        " WHERE r.name IS NOT NULL AND r.region_type = 'Face'"
        " AND NOT f.not_a_face AND NOT f.forgotten ORDER BY r.face_id"
    ).fetchall()


def person_name(con: duckdb.DuckDBPyConnection, person_id: int) -> str | None:
    rows = con.execute("SELECT name FROM people WHERE person_id = ?", [person_id]).fetchall()
    return rows[0][0] if rows else None


def forget_name(con: duckdb.DuckDBPyConnection, name: str | None, face_ids: Sequence[int]) -> None:
    """No region keeps a forgotten person's name, nor marks their faces by name."""
    con.execute(
        "UPDATE photo_regions SET name = NULL WHERE lower(trim(name)) = lower(trim(?))"
        " OR face_id IN (SELECT unnest(?))",
        [name, list(face_ids)],
    )
    con.execute(
        "UPDATE photo_regions SET previous_name = NULL"
        " WHERE lower(trim(previous_name)) = lower(trim(?)) OR face_id IN (SELECT unnest(?))",
        [name, list(face_ids)],
    )


def faces_to_export(
    con: duckdb.DuckDBPyConnection, person_ids: Sequence[int] | None, named_only: bool
) -> list[dict]:
    """The faces of people (all visible people, or `person_ids`) in photos still on disk, with
    their photo's path, size as shown and orientation, by photo."""
    cursor = con.execute(
        "SELECT i.image_id, i.path, i.path_bytes, i.width, i.height, i.orientation,"
        " f.box_left, f.box_top, f.box_right, f.box_bottom, p.person_id, p.name"
        " FROM faces f JOIN people p USING (person_id) JOIN images i ON i.image_id = f.image_id"
        " WHERE NOT f.not_a_face AND NOT f.forgotten AND i.missing_since IS NULL"
        " AND i.width > 0 AND i.height > 0"
        " AND ($1 IS NULL AND NOT p.hidden OR list_contains($1, p.person_id))"
        " AND (NOT $2 OR p.name IS NOT NULL AND trim(p.name) <> '')"
        " ORDER BY i.path, f.face_index",
        [list(person_ids) if person_ids is not None else None, named_only],
    )
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def set_sidecar_stamps(
    con: duckdb.DuckDBPyConnection, stamps: Sequence[tuple[str | None, int]]
) -> None:
    """``(stamp, image_id)``: sidecars facegraph itself wrote, so they are not read again."""
    if stamps:
        con.executemany("UPDATE images SET sidecars = ? WHERE image_id = ?", list(stamps))
