"""Reading people: lists, one person, representative faces, the edit log."""

from __future__ import annotations

import os

import numpy as np

from ..library import Library
from . import edit_store
from . import store as ps


def representative_faces(
    face_ids: np.ndarray, person_ids: np.ndarray, encodings: np.ndarray
) -> dict[int, int]:
    """Each person's face nearest their mean encoding: the most typical picture of them.

    Rows must be sorted by person (as `people_store.assigned_encodings` returns them).
    """
    chosen: dict[int, int] = {}
    if len(face_ids) == 0:
        return chosen
    starts = np.flatnonzero(np.r_[True, person_ids[1:] != person_ids[:-1]])
    for start, end in zip(starts, np.r_[starts[1:], len(face_ids)], strict=True):
        group = encodings[start:end]
        nearest = np.argmin(np.linalg.norm(group - group.mean(axis=0), axis=1))
        chosen[int(person_ids[start])] = int(face_ids[start + nearest])
    return chosen


def representative_crops(
    library: str | os.PathLike[str] | None, person_ids: list[int]
) -> dict[int, bytes]:
    """Person → JPEG crop of their representative face."""
    with Library.open(library) as lib:
        chosen = representative_faces(*ps.assigned_encodings(lib.connection, person_ids=person_ids))
        crops = ps.crops_by_face(lib.connection, list(chosen.values()))
    return {person: crops[face] for person, face in chosen.items() if face in crops}


def list_people(
    library: str | os.PathLike[str] | None = None,
    include_hidden: bool = False,
    *,
    gender: str | None = None,
    age_min: float | None = None,
    age_max: float | None = None,
) -> list[dict]:
    """Every person with name, face and photo counts, gender and age, and a representative face.

    `gender` ("female"/"male"), `age_min` and `age_max` keep only people estimated so (people
    without an estimate are left out by any of them).
    """
    with Library.open(library) as lib:
        people = ps.people_summary(lib.connection, include_hidden)
        filtered = (gender, age_min, age_max) != (None, None, None)
        if filtered:
            people = [p for p in people if matches_attributes(p, gender, age_min, age_max)]
        chosen = [p["person_id"] for p in people] if filtered else None
        representatives = representative_faces(
            *ps.assigned_encodings(lib.connection, person_ids=chosen)
        )
    for person in people:
        person["representative_face_id"] = representatives.get(person["person_id"])
    return people


def matches_attributes(
    person: dict, gender: str | None, age_min: float | None, age_max: float | None
) -> bool:
    """Whether a person (with ``gender`` and ``age`` keys) passes the attribute filters."""
    if gender is not None and person.get("gender") != gender:
        return False
    age = person.get("age")
    if (age_min is not None or age_max is not None) and age is None:
        return False
    if age_min is not None and age < age_min:
        return False
    return not (age_max is not None and age > age_max)


def show_person(library: str | os.PathLike[str] | None, person_id: int) -> dict:
    """A person, their faces (with photo path and box) and their representative face."""
    with Library.open(library) as lib:
        con = lib.connection
        ps.require_person(con, person_id)
        (summary,) = ps.people_summary(con, person_id=person_id)
        representatives = representative_faces(*ps.assigned_encodings(con, person_id))
        summary["representative_face_id"] = representatives.get(person_id)
        summary["faces_list"] = ps.person_faces(con, person_id)
    return summary


def edit_history(library: str | os.PathLike[str] | None = None, limit: int = 50) -> list[dict]:
    """The latest edits and clustering runs, newest first."""
    with Library.open(library) as lib:
        return edit_store.edit_log(lib.connection, limit)


def faces_without_person(library: str | os.PathLike[str] | None = None) -> dict[str, int]:
    """How many faces have no person, by reason (see `people.store.faces_without_person`)."""
    with Library.open(library) as lib:
        return ps.faces_without_person(lib.connection)
