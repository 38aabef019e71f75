"""The corrections users make to people, each one logged edit that `undo` can take back.

Every edit runs in one transaction with a snapshot of what it replaced, and keeps the graph
projection in step. `forget_person` is the exception: it erases, for good.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field

from .. import graph
from ..artefacts import remove_encoding_cache, remove_written
from ..errors import FaceNotFoundError, NothingToUndoError, PeopleError
from ..ingestion.store import photo_files, set_missing
from ..library import Library, rewrite_database, transaction
from . import edit_store, region_store
from . import store as ps
from .region_export import remove_name_from_files
from .store import person_named

LibraryPath = str | os.PathLike[str] | None


def logged_edit(library, action: str, detail: dict, face_ids, person_ids, change) -> dict:
    """Run `change(con)` in one transaction, logged with what it replaced (for undo)."""
    with Library.open(library, write=True) as lib:
        con = lib.connection
        with transaction(con):
            before = edit_store.snapshot(con, face_ids(con), person_ids(con))
            result = change(con) or {}
            after_people = set(result.pop("created", []))
            if after_people:
                before["person_ids"] = sorted(set(before["person_ids"]) | after_people)
            edit_store.log_edit(con, action, detail, before)
        graph.refresh_existing(lib)
        return result


def _people_of_faces(face_ids: list[int]):
    """For `_edit`: the people the faces belong to now."""
    return lambda con: [p for _, p in ps.existing_faces(con, face_ids) if p is not None]


def _no_faces(con) -> list[int]:
    return []


def _require_faces(con, face_ids) -> list[tuple]:
    found = ps.existing_faces(con, face_ids)
    missing = sorted(set(face_ids) - {f for f, _ in found})
    if missing:
        raise FaceNotFoundError(f"no face {', '.join(map(str, missing))}")
    return found


#: a person's name, in characters (longer names are refused, not cut)
MAX_NAME_LENGTH = 200


def name_person(library, person_id: int, name: str | None) -> None:
    """Give a person a name (None or blank clears it); at most `MAX_NAME_LENGTH` characters."""
    name = name.strip() or None if name is not None else None
    if name is not None and len(name) > MAX_NAME_LENGTH:
        raise PeopleError(f"a name may have at most {MAX_NAME_LENGTH} characters, not {len(name)}")

    def change(con):
        ps.require_person(con, person_id)
        ps.set_name(con, person_id, name)

    logged_edit(
        library,
        "name",
        {"person_id": person_id, "name": name},
        _no_faces,
        lambda con: [person_id],
        change,
    )


def hide_person(library, person_id: int, hidden: bool = True) -> None:
    """Hide a person from lists and the network (or show them again)."""

    def change(con):
        ps.require_person(con, person_id)
        ps.set_hidden(con, person_id, hidden)

    logged_edit(
        library,
        "hide" if hidden else "unhide",
        {"person_id": person_id},
        _no_faces,
        lambda con: [person_id],
        change,
    )


def merge_people(library, sources: list[int], into: int) -> int:
    """Move every face of `sources` to `into` and remove the sources; returns faces moved."""
    sources = [s for s in dict.fromkeys(sources) if s != into]
    if not sources:
        raise PeopleError(f"nothing to merge: Person {into} cannot be merged into itself")

    def change(con):
        for person in [*sources, into]:
            ps.require_person(con, person)
        moved = ps.faces_of(con, sources)
        ps.assign_faces(con, moved, [into] * len(moved), "user")
        ps.delete_people(con, sources)
        return {"moved": len(moved)}

    result = logged_edit(
        library,
        "merge",
        {"sources": sources, "into": into},
        lambda con: ps.faces_of(con, sources),
        lambda con: [*sources, into],
        change,
    )
    return result["moved"]


def move_faces(library, face_ids: list[int], to_person: int | None = None) -> int:
    """Move faces to a person, or to a new person when `to_person` is None (a split).

    Returns the person the faces now belong to. A face moved by hand stays there on every
    later clustering run.
    """

    def change(con):
        _require_faces(con, face_ids)
        target = to_person
        created = []
        if target is None:
            target = ps.new_people(con, 1)[0]
            created = [target]
        else:
            ps.require_person(con, target)
        ps.assign_faces(con, face_ids, [target] * len(face_ids), "user")
        ps.clear_rejections(con, target, face_ids)
        ps.delete_unused_people(con)
        return {"person_id": target, "created": created}

    def people_involved(con):
        return _people_of_faces(face_ids)(con) + ([to_person] if to_person is not None else [])

    result = logged_edit(
        library,
        "move",
        {"faces": face_ids, "to": to_person},
        lambda con: face_ids,
        people_involved,
        change,
    )
    return result["person_id"]


def accept_faces(
    library,
    face_ids: list[int],
    person: int | str,
    reject: list[int] | tuple = (),
    action: str = "accept",
) -> dict:
    """Faces found for a person, confirmed: `face_ids` go to `person` (a person's id, or a name:
    the person of that name, created if no one has it) as if moved by hand, and the faces in
    `reject` are remembered as not them (taken from them if they were theirs; never proposed
    or assigned to them again). One logged edit, which `undo` takes back.

    Returns ``{"person_id", "new_person", "moved", "rejected"}``."""
    face_ids, reject = list(dict.fromkeys(face_ids)), list(dict.fromkeys(reject))
    if set(face_ids) & set(reject):
        raise PeopleError("a face cannot be both accepted and rejected")
    if isinstance(person, str):
        name = person.strip()
        if not name or len(name) > MAX_NAME_LENGTH:
            raise PeopleError(f"a name has 1 to {MAX_NAME_LENGTH} characters")

    # the log names the person by ID only: forgetting them leaves no name behind
    detail: dict = {"faces": face_ids, "rejected": reject}

    def change(con):
        found = dict(_require_faces(con, [*face_ids, *reject]))
        target = person_named(con, person) if isinstance(person, str) else person
        created = []
        if target is None:
            target = ps.new_people(con, 1)[0]
            ps.set_name(con, target, name)
            created = [target]
        else:
            ps.require_person(con, target)
        # faces already theirs are confirmed: placed by a person now, kept by every clustering
        ps.assign_faces(con, face_ids, [target] * len(face_ids), "user")
        ps.clear_rejections(con, target, face_ids)
        ps.add_rejections(con, [(f, target) for f in reject])
        theirs = [f for f in reject if found[f] == target]
        ps.assign_faces(con, theirs, [None] * len(theirs), None)
        ps.delete_unused_people(con)
        moved = sum(1 for f in face_ids if found[f] != target)
        detail.update(person_id=target, new_person=bool(created))
        return {
            "person_id": target,
            "created": created,
            "new_person": bool(created),
            "moved": moved,
            "rejected": len(reject),
        }

    def people_involved(con):
        named = person_named(con, person) if isinstance(person, str) else person
        current = _people_of_faces([*face_ids, *reject])(con)
        return current + ([named] if named is not None else [])

    return logged_edit(
        library,
        action,
        detail,
        lambda con: [*face_ids, *reject],
        people_involved,
        change,
    )


def reject_faces(library, face_ids: list[int]) -> None:
    """ "Not this person": each face leaves its person and is never assigned back to them."""

    def change(con):
        found = _require_faces(con, face_ids)
        pairs = [(f, p) for f, p in found if p is not None]
        ps.add_rejections(con, pairs)
        ps.assign_faces(con, [f for f, _ in pairs], [None] * len(pairs), None)
        ps.delete_unused_people(con)

    logged_edit(
        library,
        "not-this-person",
        {"faces": face_ids},
        lambda con: face_ids,
        _people_of_faces(face_ids),
        change,
    )


def reject_suggestion(library, face_id: int, person_id: int) -> None:
    """ "This face is not that person", for a face of no one (a rejected suggestion): never
    suggested or assigned to them again."""

    def change(con):
        _require_faces(con, [face_id])
        ps.require_person(con, person_id)
        ps.add_rejections(con, [(face_id, person_id)])

    logged_edit(
        library,
        "not-this-person",
        {"faces": [face_id], "person": person_id},
        lambda con: [face_id],
        lambda con: [person_id],
        change,
    )


def mark_not_a_face(library, face_ids: list[int]) -> None:
    """ "Not a face": left out of clustering, people and the graph."""

    def change(con):
        _require_faces(con, face_ids)
        ps.mark_not_a_face(con, face_ids)
        ps.delete_unused_people(con)

    logged_edit(
        library,
        "not-a-face",
        {"faces": face_ids},
        lambda con: face_ids,
        _people_of_faces(face_ids),
        change,
    )


def keep_apart(library, person_a: int, person_b: int) -> None:
    """ "These two are different people": never suggested as one again, and no clustering run
    puts them together (undo takes it back)."""
    if person_a == person_b:
        raise PeopleError(f"person {person_a} cannot be kept apart from themselves")

    def change(con):
        ps.require_person(con, person_a)
        ps.require_person(con, person_b)
        edit_store.keep_apart(con, person_a, person_b)

    people = [person_a, person_b]
    logged_edit(library, "apart", {"people": people}, _no_faces, lambda con: people, change)


def undo(library, count: int = 1) -> list[str]:
    """Undo the last `count` edits, newest first; returns their actions."""
    with Library.open(library, write=True) as lib:
        con = lib.connection
        with transaction(con):
            edits = edit_store.undoable_edits(con, count)
            if not edits:
                raise NothingToUndoError("nothing to undo")
            for edit_id, _, before in edits:
                edit_store.restore(con, before)
                edit_store.mark_undone(con, edit_id)
        graph.refresh_existing(lib)
        return [action for _, action, _ in edits]


@dataclass
class ForgetReport:
    faces_erased: int
    #: files facegraph wrote into the library that showed people (pages, mosaics): removed
    files_removed: list[str] = field(default_factory=list)
    #: files it wrote elsewhere (exports): they may still show the person; yours to delete
    files_elsewhere: list[str] = field(default_factory=list)
    #: photos uploaded through the review app (its copies under ``uploads/``) that showed the
    #: person: deleted (the photos are marked missing; other people in them keep their faces)
    uploads_removed: list[str] = field(default_factory=list)
    #: such photos that could not be deleted, with why
    uploads_kept: list[str] = field(default_factory=list)
    #: XMP files `export regions` wrote that named the person: their name taken out; and
    #: those that could not be changed, with why
    region_files_changed: list[str] = field(default_factory=list)
    region_files_failed: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


def forget_person(library, person_id: int) -> ForgetReport:
    """Delete a person and every encoding and crop of their faces, for good.

    The faces keep only their boxes (so the photo still counts a face) and are marked
    forgotten; the person's name leaves the edit log, the undo history before this point is
    dropped, the graph is rebuilt and the database file rewritten so no deleted bytes remain
    in them, and every page, mosaic and crop facegraph wrote into the library is removed. The
    report lists the files it wrote elsewhere, which may still show the person. This cannot be
    undone.
    """
    with Library.open(library, write=True) as lib:
        con = lib.connection
        with transaction(con):
            ps.require_person(con, person_id)
            face_ids = ps.faces_of(con, [person_id])
            photos = photo_files(con, ps.photos_of_faces(con, face_ids))
            uploads = {i: p for i, p in photos.items() if _is_inside(p, lib.path / UPLOADS)}
            name = region_store.person_name(con, person_id)
            region_store.forget_name(con, name, face_ids)
            ps.erase_faces(con, face_ids)
            ps.delete_people(con, [person_id])
            edit_store.forget_in_edit_log(con, person_id)
            edit_store.log_edit(con, "forget", {"faces": len(face_ids)}, None)
        # rebuilt, not synced: a new file holds no deleted bytes of the person
        graph.refresh_existing(lib, rebuild=True)
        path = lib.database_path
    removed, kept = _remove_uploads(uploads)
    if removed:
        with Library.open(library, write=True) as lib, transaction(lib.connection):
            set_missing(lib.connection, list(removed), missing=True)
    rewrite_database(path)
    remove_encoding_cache(path.parent)
    cleanup = remove_written(path.parent)
    changed, failed = remove_name_from_files(path.parent, name) if name else ([], [])
    return ForgetReport(
        len(face_ids),
        [str(p) for p in cleanup.removed],
        [str(p) for p in cleanup.elsewhere],
        list(removed.values()),
        kept,
        changed,
        failed,
    )


#: where the review app keeps the photos uploaded through it, inside the library
UPLOADS = "uploads"


def _is_inside(path: str, folder: os.PathLike[str]) -> bool:
    real, root = os.path.realpath(path), os.path.realpath(folder)
    return real.startswith(root.rstrip(os.sep) + os.sep)


def _remove_uploads(uploads: dict[int, str]) -> tuple[dict[int, str], list[str]]:
    """Delete the app's copies of uploaded photos; ``({image_id: path} removed, ["path: why"]
    kept)``."""
    removed, kept = {}, []
    for image_id, path in uploads.items():
        try:
            os.remove(path)
        except FileNotFoundError:
            removed[image_id] = path  # gone already
        except OSError as exc:
            kept.append(f"{path}: {exc.strerror or exc}")
        else:
            removed[image_id] = path
    return removed, kept
