"""The SQL behind reading people: summaries, a person's faces, months and companions.

Pages of `facegraph serve` read these on every request, so each is one query over the indexed
tables, not over the views that number every appearance of the library.
"""

from __future__ import annotations

import duckdb


def people_summary(
    con: duckdb.DuckDBPyConnection, include_hidden: bool = False, person_id: int | None = None
) -> list[dict]:
    """People (all, or one) with face and photo counts, most faces first, and their gender
    (``"female"``/``"male"``, None before any estimate) and age (see the view
    ``person_attributes``)."""
    return _dicts(
        con,
        "SELECT p.person_id, p.name, p.hidden, count(f.face_id) AS faces,"
        " count(DISTINCT f.image_id) AS photos, any_value(a.gender) AS gender,"
        " any_value(a.gender_confidence) AS gender_confidence, any_value(a.age) AS age,"
        " any_value(a.birth_year) AS birth_year"
        " FROM people p LEFT JOIN faces f ON f.person_id = p.person_id"
        " LEFT JOIN person_attributes a ON a.person_id = p.person_id"
        " WHERE (? OR NOT p.hidden) AND (? IS NULL OR p.person_id = ?)"
        " GROUP BY p.person_id, p.name, p.hidden ORDER BY faces DESC, p.person_id",
        [include_hidden or person_id is not None, person_id, person_id],
    )


def person_faces(con: duckdb.DuckDBPyConnection, person_id: int) -> list[dict]:
    """A person's faces, with the photo, the box and the face's age and gender estimate."""
    return _dicts(
        con,
        "SELECT f.face_id, f.image_id, i.path, f.box_left AS left, f.box_top AS top,"
        " f.box_right AS right, f.box_bottom AS bottom, f.assigned_by, i.taken_at,"
        " round(a.age::DOUBLE, 1) AS age, round(a.male_probability::DOUBLE, 3) AS male_probability,"
        " a.skipped AS no_estimate_because"
        " FROM faces f JOIN images i USING (image_id)"
        " LEFT JOIN face_attributes a ON a.face_id = f.face_id"
        " WHERE f.person_id = ? ORDER BY f.face_id",
        [person_id],
    )


def _dicts(con: duckdb.DuckDBPyConnection, sql: str, params: list) -> list[dict]:
    cursor = con.execute(sql, params)
    keys = [column[0] for column in cursor.description]
    return [dict(zip(keys, row, strict=True)) for row in cursor.fetchall()]


def person_months(con: duckdb.DuckDBPyConnection, person_id: int) -> list[dict]:
    """Photos of the person per month (EXIF date; undated photos left out), oldest first."""
    return _dicts(
        con,
        "SELECT date_trunc('month', i.taken_at)::DATE AS month,"
        " count(DISTINCT f.image_id) AS photos FROM faces f JOIN images i USING (image_id)"
        " WHERE f.person_id = ? AND NOT f.not_a_face AND i.taken_at IS NOT NULL"
        " GROUP BY month ORDER BY month",
        [person_id],
    )


def person_companions(con: duckdb.DuckDBPyConnection, person_id: int, limit: int) -> list[dict]:
    """The people seen in photos with the person (hidden people and "not a face" left out),
    most shared photos first, with those photos."""
    return _dicts(
        con,
        "SELECT o.person_id, p.name, count(DISTINCT o.image_id) AS photos,"
        " list(DISTINCT o.image_id ORDER BY o.image_id) AS image_ids"
        " FROM faces f JOIN faces o ON o.image_id = f.image_id AND o.person_id <> f.person_id"
        " JOIN people p ON p.person_id = o.person_id"
        " WHERE f.person_id = ? AND NOT f.not_a_face AND NOT o.not_a_face AND NOT p.hidden"
        " GROUP BY o.person_id, p.name ORDER BY photos DESC, o.person_id LIMIT ?",
        [person_id, limit],
    )


def named_people(con: duckdb.DuckDBPyConnection) -> list[tuple[int, str]]:
    """``(person_id, name)`` of every named person, by name."""
    return con.execute(
        "SELECT person_id, name FROM people WHERE name IS NOT NULL ORDER BY name, person_id"
    ).fetchall()
