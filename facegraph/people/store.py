"""Every read and write of people, face assignments, rejections and people kept apart (the edit
log is `edit_store`)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import duckdb
import numpy as np
import pyarrow as pa

from ..errors import PersonNotFoundError


@dataclass
class FaceSet:
    """Faces that take part in clustering, as parallel arrays."""

    face_ids: np.ndarray
    image_ids: np.ndarray
    person_ids: np.ndarray  # -1 = unassigned
    by_user: np.ndarray  # bool: assigned by hand
    encodings: np.ndarray  # (n, 128) float32
    good: np.ndarray  # bool: good enough to start a person (faces.quality IS NULL)

    def __len__(self) -> int:
        return len(self.face_ids)

    def subset(self, mask: np.ndarray) -> FaceSet:
        return FaceSet(
            self.face_ids[mask],
            self.image_ids[mask],
            self.person_ids[mask],
            self.by_user[mask],
            self.encodings[mask],
            self.good[mask],
        )


def clusterable_faces(con: duckdb.DuckDBPyConnection) -> FaceSet:
    """Every face that can belong to a person: not "not a face", not forgotten."""
    table = con.sql(
        "SELECT face_id, image_id, coalesce(person_id, -1) AS person_id,"
        " coalesce(assigned_by = 'user', false) AS by_user, quality IS NULL AS good, encoding"
        " FROM faces"
        " WHERE NOT not_a_face AND NOT forgotten AND encoding IS NOT NULL ORDER BY face_id"
    ).to_arrow_table()
    return FaceSet(
        table.column("face_id").to_numpy(),
        table.column("image_id").to_numpy(),
        table.column("person_id").to_numpy(),
        table.column("by_user").to_numpy(zero_copy_only=False).astype(bool),
        encodings_of(table),
        table.column("good").to_numpy(zero_copy_only=False).astype(bool),
    )


def faces_without_quality(con: duckdb.DuckDBPyConnection, limit: int) -> list[tuple]:
    """``(face_id, crop_jpeg, landmarks, (left, top, right, bottom), (width, height))`` of faces
    stored before quality was measured."""
    rows = con.execute(
        "SELECT f.face_id, f.crop_jpeg, f.landmarks, f.box_left, f.box_top, f.box_right,"
        " f.box_bottom, i.width, i.height FROM faces f JOIN images i USING (image_id)"
        " WHERE f.sharpness IS NULL AND f.crop_jpeg IS NOT NULL ORDER BY f.face_id LIMIT ?",
        [limit],
    ).fetchall()
    return [(r[0], r[1], r[2], tuple(r[3:7]), tuple(r[7:9])) for r in rows]


def set_quality(
    con: duckdb.DuckDBPyConnection, rows: Sequence[tuple[int, float, str | None]]
) -> None:
    """Store ``(face_id, sharpness, quality)`` per face."""
    table = pa.table(
        {
            "face_id": pa.array([r[0] for r in rows], pa.int64()),
            "sharpness": pa.array([r[1] for r in rows], pa.float32()),
            "quality": pa.array([r[2] for r in rows], pa.string()),
        }
    )
    con.register("measured", table)
    try:
        con.execute(
            "UPDATE faces SET sharpness = m.sharpness, quality = m.quality FROM measured m"
            " WHERE faces.face_id = m.face_id"
        )
    finally:
        con.unregister("measured")


def encodings_of(table: pa.Table) -> np.ndarray:
    """The ``encoding`` column of a query result as an ``(n, 128)`` float32 array."""
    column = table.column("encoding").combine_chunks()
    if not len(column):
        return np.empty((0, 128), dtype=np.float32)
    return np.ascontiguousarray(column.values.to_numpy().reshape(-1, 128), dtype=np.float32)


def rejections(con: duckdb.DuckDBPyConnection) -> set[tuple[int, int]]:
    return set(con.execute("SELECT face_id, person_id FROM face_rejections").fetchall())


def new_people(con: duckdb.DuckDBPyConnection, count: int) -> list[int]:
    if count <= 0:
        return []
    rows = con.execute(
        "INSERT INTO people (name) SELECT NULL FROM range(?) RETURNING person_id", [count]
    ).fetchall()
    return sorted(r[0] for r in rows)


def assign_faces(
    con: duckdb.DuckDBPyConnection,
    face_ids: Sequence[int],
    person_ids: Sequence[int | None],
    by: str | None,
) -> None:
    """Set each face's person (None = unassigned); `by` is 'cluster' or 'user'."""
    if len(face_ids) == 0:
        return
    table = pa.table(
        {
            "face_id": pa.array(np.asarray(face_ids, dtype=np.int64)),
            "person_id": pa.array([None if p is None else int(p) for p in person_ids], pa.int64()),
        }
    )
    con.register("new_assignments", table)
    try:
        con.execute(
            "UPDATE faces SET person_id = n.person_id,"
            " assigned_by = CASE WHEN n.person_id IS NULL THEN NULL ELSE ? END"
            " FROM new_assignments n WHERE faces.face_id = n.face_id",
            [by],
        )
    finally:
        con.unregister("new_assignments")


def delete_unused_people(con: duckdb.DuckDBPyConnection) -> int:
    """Remove people with no face left who have no name (nothing a user made)."""
    return (
        con.execute(
            "DELETE FROM people p WHERE name IS NULL AND NOT hidden"
            " AND NOT EXISTS (SELECT 1 FROM faces f WHERE f.person_id = p.person_id)"
            " RETURNING person_id"
        )
        .fetchall()
        .__len__()
    )


def person_exists(con: duckdb.DuckDBPyConnection, person_id: int) -> bool:
    return bool(
        con.execute("SELECT count(*) FROM people WHERE person_id = ?", [person_id]).fetchall()[0][0]
    )


def require_person(con: duckdb.DuckDBPyConnection, person_id: int) -> None:
    if not person_exists(con, person_id):
        raise PersonNotFoundError(f"no person {person_id}; 'facegraph people list' shows them")


def person_named(con: duckdb.DuckDBPyConnection, name: str) -> int | None:
    """The person with this name (case and surrounding spaces aside; the oldest if several)."""
    row = con.execute(
        "SELECT min(person_id) FROM people WHERE lower(trim(name)) = lower(trim(?))", [name]
    ).fetchall()
    return row[0][0] if row else None


def faces_of(con: duckdb.DuckDBPyConnection, person_ids: Iterable[int]) -> list[int]:
    return [
        r[0]
        for r in con.execute(
            "SELECT face_id FROM faces WHERE person_id IN (SELECT unnest(?)) ORDER BY face_id",
            [list(person_ids)],
        ).fetchall()
    ]


def existing_faces(con: duckdb.DuckDBPyConnection, face_ids: Iterable[int]) -> list[tuple]:
    """``(face_id, person_id)`` of the faces that exist."""
    return con.execute(
        "SELECT face_id, person_id FROM faces WHERE face_id IN (SELECT unnest(?)) ORDER BY face_id",
        [list(face_ids)],
    ).fetchall()


def faces_without_person(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Faces with no person, by why: "too small, blurred or turned", "marked not a face",
    "forgotten", "no clear match" (good faces the last run left alone)."""
    rows = con.execute(
        "SELECT CASE WHEN forgotten THEN 'forgotten' WHEN not_a_face THEN 'marked not a face'"
        " WHEN quality IS NOT NULL THEN 'too small, blurred or turned'"
        " ELSE 'no clear match' END AS why, count(*) FROM faces WHERE person_id IS NULL"
        " GROUP BY why ORDER BY why"
    ).fetchall()
    return dict(rows)


def count_unassigned_low_quality(con: duckdb.DuckDBPyConnection) -> int:
    return con.execute(
        "SELECT count(*) FROM faces WHERE person_id IS NULL AND quality IS NOT NULL"
        " AND NOT not_a_face AND NOT forgotten"
    ).fetchall()[0][0]


def provisional_people(con: duckdb.DuckDBPyConnection) -> set[int]:
    """People of one face that a clustering run made and no one has touched: unnamed, not
    hidden, no face placed by hand, never kept apart, no face rejected from them."""
    rows = con.execute(
        "SELECT p.person_id FROM people p JOIN faces f ON f.person_id = p.person_id"
        " WHERE p.name IS NULL AND NOT p.hidden"
        " AND p.person_id NOT IN (SELECT person_a FROM people_apart)"
        " AND p.person_id NOT IN (SELECT person_b FROM people_apart)"
        " AND p.person_id NOT IN (SELECT person_id FROM face_rejections)"
        " GROUP BY p.person_id HAVING count(*) = 1 AND bool_and(f.assigned_by = 'cluster')"
    ).fetchall()
    return {person for (person,) in rows}


def count_people(con: duckdb.DuckDBPyConnection) -> int:
    return con.execute("SELECT count(*) FROM people").fetchall()[0][0]


def assigned_encodings(
    con: duckdb.DuckDBPyConnection,
    person_id: int | None = None,
    person_ids: Sequence[int] | None = None,
    per_person: int | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(face_ids, person_ids, encodings)`` of assigned faces (all, one person's, or those of
    `person_ids`), sorted by person; `per_person` keeps at most that many faces of each (their
    first), enough to find a typical face of someone seen thousands of times."""
    where, params = "person_id IS NOT NULL", {}
    if person_id is not None:
        where, params = "person_id = $person", {"person": int(person_id)}
    elif person_ids is not None:
        where, params = "person_id IN (SELECT unnest($people))", {"people": list(person_ids)}
    if per_person is not None:  # choose the faces first, then read just their encodings
        params["keep"] = int(per_person)
        where = (
            "face_id IN (SELECT face_id FROM faces WHERE"
            f" {where} AND encoding IS NOT NULL AND NOT not_a_face"
            " QUALIFY row_number() OVER (PARTITION BY person_id ORDER BY face_id) <= $keep)"
        )
    table = con.sql(
        f"SELECT face_id, person_id, encoding FROM faces WHERE {where}"
        " AND encoding IS NOT NULL AND NOT not_a_face ORDER BY person_id, face_id",
        params=params or None,
    ).to_arrow_table()
    face_ids, person_ids = table.column("face_id").to_numpy(), table.column("person_id").to_numpy()
    return face_ids, person_ids, encodings_of(table)


def crops_by_face(con: duckdb.DuckDBPyConnection, face_ids: Sequence[int]) -> dict[int, bytes]:
    return dict(
        con.execute(
            "SELECT face_id, crop_jpeg FROM faces WHERE face_id IN (SELECT unnest(?))"
            " AND crop_jpeg IS NOT NULL",
            [list(face_ids)],
        ).fetchall()
    )


def crops(con: duckdb.DuckDBPyConnection, face_ids: Sequence[int]) -> list[bytes]:
    rows = crops_by_face(con, face_ids)
    return [rows[f] for f in face_ids if f in rows]


# ---------------------------------------------------------------- corrections


def set_name(con: duckdb.DuckDBPyConnection, person_id: int, name: str | None) -> None:
    con.execute("UPDATE people SET name = ? WHERE person_id = ?", [name, person_id])


def set_hidden(con: duckdb.DuckDBPyConnection, person_id: int, hidden: bool) -> None:
    con.execute("UPDATE people SET hidden = ? WHERE person_id = ?", [hidden, person_id])


def delete_people(con: duckdb.DuckDBPyConnection, person_ids: Sequence[int]) -> None:
    """Remove people (whose faces have already gone elsewhere) and what was rejected for them."""
    con.execute("DELETE FROM face_rejections WHERE person_id IN (SELECT unnest(?))", [person_ids])
    con.execute(
        "DELETE FROM people_apart WHERE person_a IN (SELECT unnest($1))"
        " OR person_b IN (SELECT unnest($1))",
        [list(person_ids)],
    )
    con.execute("DELETE FROM people WHERE person_id IN (SELECT unnest(?))", [person_ids])


def add_rejections(con: duckdb.DuckDBPyConnection, pairs: Sequence[tuple[int, int]]) -> None:
    """``(face_id, person_id)``: this face is not this person."""
    if pairs:
        con.executemany("INSERT OR IGNORE INTO face_rejections VALUES (?, ?)", pairs)


def clear_rejections(
    con: duckdb.DuckDBPyConnection, person_id: int, face_ids: Sequence[int]
) -> None:
    con.execute(
        "DELETE FROM face_rejections WHERE person_id = ? AND face_id IN (SELECT unnest(?))",
        [person_id, face_ids],
    )


def mark_not_a_face(con: duckdb.DuckDBPyConnection, face_ids: Sequence[int]) -> None:
    con.execute(
        "UPDATE faces SET not_a_face = true, person_id = NULL, assigned_by = NULL"
        " WHERE face_id IN (SELECT unnest(?))",
        [face_ids],
    )


def erase_faces(con: duckdb.DuckDBPyConnection, face_ids: Sequence[int]) -> None:
    """Drop the biometric data of faces (encoding, crop, landmarks, age and gender); only their
    boxes stay."""
    con.execute("DELETE FROM face_attributes WHERE face_id IN (SELECT unnest(?))", [face_ids])
    con.execute(
        "UPDATE faces SET encoding = NULL, crop_jpeg = NULL, landmarks = NULL,"
        " detector_landmarks = NULL,"
        " person_id = NULL, assigned_by = NULL, forgotten = true"
        " WHERE face_id IN (SELECT unnest(?))",
        [face_ids],
    )


# ---------------------------------------------------------------- evaluation


def face_boxes(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    """``(path, width, height, face_id, left, top, right, bottom)`` of every face that may be
    scored, with its photo's size."""
    return con.execute(
        "SELECT i.path, i.width, i.height, f.face_id, f.box_left, f.box_top, f.box_right,"
        " f.box_bottom FROM faces f JOIN images i USING (image_id)"
        " WHERE NOT f.not_a_face AND NOT f.forgotten"
    ).fetchall()


def people_of_faces(con: duckdb.DuckDBPyConnection, face_ids: Sequence[int]) -> dict[int, int]:
    """Face → person (-1 where it has none)."""
    rows = con.execute(
        "SELECT face_id, coalesce(person_id, -1) FROM faces WHERE face_id IN (SELECT unnest(?))",
        [list(face_ids)],
    ).fetchall()
    return dict(rows)


def unassigned_faces(con: duckdb.DuckDBPyConnection) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(face_ids, image_ids, encodings)`` of faces with no person that may still get one."""
    table = con.sql(
        "SELECT face_id, image_id, encoding FROM faces WHERE person_id IS NULL"
        " AND NOT not_a_face AND NOT forgotten AND encoding IS NOT NULL ORDER BY face_id"
    ).to_arrow_table()
    return (
        table.column("face_id").to_numpy(),
        table.column("image_id").to_numpy(),
        encodings_of(table),
    )


def photos_of_people(con: duckdb.DuckDBPyConnection) -> dict[int, set[int]]:
    """Person → the photos they are in."""
    found: dict[int, set[int]] = {}
    for person, image in con.execute(
        "SELECT DISTINCT person_id, image_id FROM faces WHERE person_id IS NOT NULL"
    ).fetchall():
        found.setdefault(person, set()).add(image)
    return found


def photos_of_faces(con: duckdb.DuckDBPyConnection, face_ids: Sequence[int]) -> list[int]:
    """The image IDs of the photos holding these faces."""
    rows = con.execute(
        "SELECT DISTINCT image_id FROM faces WHERE face_id IN (SELECT unnest(?))",
        [list(face_ids)],
    ).fetchall()
    return [row[0] for row in rows]
