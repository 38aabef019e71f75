"""Names from the photos' metadata (XMP face regions, see `facegraph.xmp`) into people.

A face a file names goes to the person of that name (one person per name across the library,
found case aside, created if no one has it), as if a person had placed it there: clustering
never moves it, and faces like it join that person. All the names found since the last time
are applied in one logged edit ("names-from-photos"), which `undo` takes back.

When a file and facegraph disagree, what a person did last wins:

- a face that a file named before, and that still sits with that name, follows the file when
  its name there changes (the name was changed in digiKam or Lightroom);
- a face placed in facegraph with another name, marked "not a face", or marked "not this
  person" for that name, keeps what was done in facegraph; the disagreement is reported, and
  `facegraph export regions` writes facegraph's names back into the files.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field

from ..library import Library, transaction
from ..safe_text import printable
from . import region_store
from . import store as ps
from .edits import MAX_NAME_LENGTH, logged_edit


@dataclass
class PhotoNames:
    """What applying the photos' names did."""

    faces_named: int = 0
    new_people: list[str] = field(default_factory=list)
    #: one line per face where a file and facegraph disagree; facegraph's choice was kept
    conflicts: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


def _conflict(row: dict) -> str | None:
    """Why the file's name does not go to this face, or None when it does."""
    where = f"{printable(row['path'])} (face {row['face_id']})"
    said = repr(row["name"])
    if row["forgotten"]:
        return None  # a forgotten face stays forgotten, silently: nothing of them is kept
    if row["not_a_face"]:
        return f"{where}: the file names it {said}; it was marked not a face (kept)"
    if row["rejected"]:
        return f"{where}: the file names it {said}; it was marked not {said} (kept)"
    person_name = row["person_name"]
    if row["assigned_by"] != "user" or person_name is None:
        return None
    if person_name.strip().casefold() == row["name"].casefold():
        return None
    previous = (row["previous_name"] or "").casefold()
    if previous and person_name.strip().casefold() == previous:
        return None  # the file's name changed: follow it
    return f"{where}: the file names it {said}; it is {person_name!r} in facegraph (kept)"


def apply_photo_names(library: str | os.PathLike[str] | None = None) -> PhotoNames:
    """Give the faces named in their photos' metadata to the people of those names (see the
    module's description); nothing to do when no new name was read."""
    report = PhotoNames()
    with Library.open(library, write=True) as lib:
        pending = region_store.pending_names(lib.connection)
    if not pending:
        return report
    groups: dict[str, list[int]] = {}
    spelling: dict[str, str] = {}
    named: dict[int, str] = {}  # face -> the name it is given (a photo's first region wins)
    for row in pending:
        if row["face_id"] in named:
            first = named[row["face_id"]]
            if first.casefold() != row["name"].casefold():
                report.conflicts.append(
                    f"{printable(row['path'])} (face {row['face_id']}): the file names it"
                    f" {first!r} and {row['name']!r}; {first!r} used"
                )
            continue
        named[row["face_id"]] = row["name"]
        why = _conflict(row)
        if why is not None:
            report.conflicts.append(why)
            continue
        if row["forgotten"] or row["not_a_face"] or len(row["name"]) > MAX_NAME_LENGTH:
            continue
        key = row["name"].casefold()
        spelling.setdefault(key, row["name"])
        groups.setdefault(key, []).append(row["face_id"])
    keys = [(row["image_id"], row["region_index"]) for row in pending]
    renamed_from = {
        row["previous_name"]
        for row in pending
        if row["previous_name"] and row["name"].casefold() in groups
    }
    face_ids = [f for ids in groups.values() for f in ids]

    def change(con):
        created = []
        for key, ids in groups.items():
            person = ps.person_named(con, spelling[key])
            if person is None:
                person = ps.new_people(con, 1)[0]
                ps.set_name(con, person, spelling[key])
                created.append(person)
                report.new_people.append(spelling[key])
            report.faces_named += sum(1 for f, p in ps.existing_faces(con, ids) if p != person)
            ps.assign_faces(con, ids, [person] * len(ids), "user")
        region_store.mark_applied(con, keys)
        ps.delete_unused_people(con)
        # a person the files named, whose every face the files now name otherwise: renamed
        emptied = [ps.person_named(con, name) for name in renamed_from]
        ps.delete_people(con, [p for p in emptied if p is not None and not ps.faces_of(con, [p])])
        return {"created": created}

    def people_involved(con):
        named = [ps.person_named(con, n) for n in [*spelling.values(), *renamed_from]]
        current = [p for _, p in ps.existing_faces(con, face_ids) if p is not None]
        return [p for p in named if p is not None] + current

    if face_ids:
        # the log lists faces and people by ID only: forgetting a person leaves no name
        detail = {"faces": face_ids, "people": len(groups)}
        logged_edit(library, "names-from-photos", detail, lambda con: face_ids,
                    people_involved, change)  # fmt: skip
    else:
        with Library.open(library, write=True) as lib, transaction(lib.connection):
            region_store.mark_applied(lib.connection, keys)
    return report
