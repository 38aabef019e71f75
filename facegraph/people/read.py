"""Reading people: lists, one person, representative faces, the edit log."""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np

from ..errors import PersonNotFoundError
from ..library import Library
from . import edit_store
from . import read_store as rs
from . import store as ps

#: faces of a person enough to find their typical face (the grid's pictures)
SAMPLE_FACES = 200


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


def face_crops(library: str | os.PathLike[str] | None, face_ids: list[int]) -> dict[int, bytes]:
    """Face → its JPEG crop (faces forgotten or unknown are left out)."""
    with Library.open(library) as lib:
        return ps.crops_by_face(lib.connection, face_ids)


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
        people = rs.people_summary(lib.connection, include_hidden)
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


def people_page(
    library: str | os.PathLike[str] | None = None,
    *,
    search: str = "",
    show: str = "visible",
    offset: int = 0,
    limit: int = 60,
) -> tuple[int, list[dict]]:
    """One page of the people grid, most faces first: ``(people in all, rows)``. `search` finds
    names (or an ID); `show` is ``visible``, ``unnamed``, ``hidden`` or ``all``. Representative
    faces are found for the page's people only, so a page costs the same at 5,000 people."""
    with Library.open(library) as lib:
        con = lib.connection
        people = rs.people_summary(con, include_hidden=show in ("hidden", "all"))
        wanted = search.strip().casefold()
        people = [
            p
            for p in people
            if (show != "hidden" or p["hidden"])
            and (show != "unnamed" or not p["name"])
            and (
                not wanted
                or wanted in (p["name"] or "").casefold()
                or wanted == str(p["person_id"])
            )
        ]
        page = people[offset : offset + limit]
        chosen = representative_faces(
            *ps.assigned_encodings(
                con, person_ids=[p["person_id"] for p in page], per_person=SAMPLE_FACES
            )
        )
    for person in page:
        person["representative_face_id"] = chosen.get(person["person_id"])
    return len(people), page


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


def show_person(
    library: str | os.PathLike[str] | None, person_id: int, companions: int = 30
) -> dict:
    """A person, their faces (with photo path and box), their representative face, the months
    they appear in (``months``) and the people seen with them (``companions``, the first
    `companions`, each with the shared photos)."""
    with Library.open(library) as lib:
        con = lib.connection
        ps.require_person(con, person_id)
        (summary,) = rs.people_summary(con, person_id=person_id)
        sample = ps.assigned_encodings(con, person_id, per_person=SAMPLE_FACES)
        summary["representative_face_id"] = representative_faces(*sample).get(person_id)
        summary["faces_list"] = rs.person_faces(con, person_id)
        summary["months"] = rs.person_months(con, person_id)
        summary["companions"] = rs.person_companions(con, person_id, companions)
    return summary


def resolve_people(
    library: str | os.PathLike[str] | None, people: Sequence[int | str]
) -> list[int]:
    """Person IDs for people given by ID (``12``, ``"12"``) or by name (``"Ada Lovelace"``,
    case aside), in the order given, each once. An unknown one raises `PersonNotFoundError`."""
    found: list[int] = []
    with Library.open(library) as lib:
        con = lib.connection
        for ref in people:
            text = str(ref).strip()
            if text.isdigit():
                person_id = int(text)
                ps.require_person(con, person_id)
            else:
                person_id = ps.person_named(con, text)
                if person_id is None:
                    raise PersonNotFoundError(
                        f"no person named {text!r}; 'facegraph people list' shows them"
                    )
            if person_id not in found:
                found.append(person_id)
    return found


def person_names(library: str | os.PathLike[str] | None = None) -> list[tuple[int, str]]:
    """``(person_id, name)`` of every named person, by name."""
    with Library.open(library) as lib:
        return rs.named_people(lib.connection)


def edit_history(library: str | os.PathLike[str] | None = None, limit: int = 50) -> list[dict]:
    """The latest edits and clustering runs, newest first."""
    with Library.open(library) as lib:
        return edit_store.edit_log(lib.connection, limit)


def faces_without_person(library: str | os.PathLike[str] | None = None) -> dict[str, int]:
    """How many faces have no person, by reason (see `people.store.faces_without_person`)."""
    with Library.open(library) as lib:
        return ps.faces_without_person(lib.connection)
