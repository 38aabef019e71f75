"""People: clustering runs that keep identities stable, and the corrections users make.

Rules that no clustering run breaks:

- a face a user placed (move, merge) stays where the user put it;
- a face marked "not this person" is never assigned to that person again;
- a face marked "not a face" takes no part in clustering;
- two faces of one photo never belong to the same person.
"""

from __future__ import annotations

import os
import time
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass

import numpy as np

from . import graph, store
from . import people_store as ps
from .clustering import ClusterParams, cluster_faces, nearest_neighbours
from .errors import FacegraphError
from .library import Library


class PersonNotFoundError(FacegraphError):
    """No person with that ID."""


class NothingToUndoError(FacegraphError):
    """The edit log has nothing left to undo."""


@dataclass
class ClusterReport:
    mode: str  # "full" or "incremental"
    faces: int = 0
    considered: int = 0
    assigned_to_existing: int = 0
    new_people: int = 0
    assigned_to_new: int = 0
    unassigned: int = 0
    people: int = 0
    seconds: float = 0.0

    def as_dict(self) -> dict:
        return asdict(self)


# ---------------------------------------------------------------- clustering runs


def cluster(
    library: str | os.PathLike[str] | None = None,
    params: ClusterParams | None = None,
    *,
    full: bool = False,
) -> ClusterReport:
    """Assign faces to people.

    By default only faces without a person are considered: each joins the existing person most
    of its nearest neighbours (within the threshold) belong to; the rest are clustered among
    themselves into new people. ``full=True`` re-clusters every face, maps the new clusters to
    the existing people by overlap (so IDs and names stay), and keeps every manual edit.
    """
    params = params or ClusterParams()
    started = time.monotonic()
    with Library.open(library, write=True) as lib:
        con = lib.connection
        faces = ps.clusterable_faces(con)
        rejected = ps.rejections(con)
        has_people = bool((faces.person_ids >= 0).any())
        mode = "full" if full or not has_people else "incremental"
        with store.transaction(con):
            if mode == "full":
                report, placed = _full(con, faces, rejected, params)
                # faces the clustering left alone may still be close enough to someone
                late = _incremental(con, placed, rejected, params)
                report.assigned_to_existing += late.assigned_to_existing
                report.assigned_to_new += late.assigned_to_new
                report.new_people += late.new_people
                report.unassigned = late.unassigned
            else:
                report = _incremental(con, faces, rejected, params)
            ps.delete_unused_people(con)
            ps.log_edit(con, "cluster", {"mode": mode, **asdict(params)}, None)
        report.faces = len(faces)
        report.people = ps.count_people(con)
        graph.refresh_existing(lib)
    report.seconds = time.monotonic() - started
    return report


def _full(
    con, faces: ps.FaceSet, rejected: set, params: ClusterParams
) -> tuple[ClusterReport, ps.FaceSet]:
    """Re-cluster every face; returns the report and the faces with their new people."""
    report = ClusterReport(mode="full", considered=int((~faces.by_user).sum()))
    labels = cluster_faces(faces.encodings, faces.image_ids, params)
    # map each new cluster to the existing person it overlaps most (each person once)
    overlap = Counter(
        (int(label), int(person))
        for label, person in zip(labels, faces.person_ids, strict=True)
        if label >= 0 and person >= 0
    )
    cluster_person: dict[int, int] = {}
    taken: set[int] = set()
    for (label, person), _ in sorted(overlap.items(), key=lambda kv: (-kv[1], kv[0])):
        if label not in cluster_person and person not in taken:
            cluster_person[label] = person
            taken.add(person)
    unmatched = sorted(set(labels[labels >= 0].tolist()) - set(cluster_person))
    for label, person in zip(unmatched, ps.new_people(con, len(unmatched)), strict=True):
        cluster_person[label] = person
    report.new_people = len(unmatched)

    fixed = defaultdict(set)  # photo -> people placed there by the user
    for image, person, by_user in zip(
        faces.image_ids, faces.person_ids, faces.by_user, strict=True
    ):
        if by_user:
            fixed[int(image)].add(int(person))
    target: list[int | None] = []
    for face, image, label in zip(faces.face_ids, faces.image_ids, labels, strict=True):
        person = cluster_person.get(int(label)) if label >= 0 else None
        if person is not None and ((int(face), person) in rejected or person in fixed[int(image)]):
            person = None
        target.append(person)
    free = ~faces.by_user
    ids = faces.face_ids[free]
    chosen = [t for t, f in zip(target, free, strict=True) if f]
    ps.assign_faces(con, ids, chosen, "cluster")
    report.unassigned = sum(t is None for t in chosen)
    new_set = set(cluster_person[label] for label in unmatched)
    report.assigned_to_new = sum(t in new_set for t in chosen if t is not None)
    report.assigned_to_existing = len(chosen) - report.unassigned - report.assigned_to_new
    placed = np.array([-1 if t is None else t for t in target], dtype=np.int64)
    placed[faces.by_user] = faces.person_ids[faces.by_user]
    return report, ps.FaceSet(
        faces.face_ids, faces.image_ids, placed, faces.by_user, faces.encodings
    )


def _incremental(con, faces: ps.FaceSet, rejected: set, params: ClusterParams) -> ClusterReport:
    assigned = faces.person_ids >= 0
    pending = faces.subset(~assigned)
    known = faces.subset(assigned)
    report = ClusterReport(mode="incremental", considered=len(pending))
    if len(pending) == 0:
        return report
    in_photo = defaultdict(set)  # photo -> people already in it
    for image, person in zip(known.image_ids, known.person_ids, strict=True):
        in_photo[int(image)].add(int(person))

    chosen: dict[int, int] = {}
    if len(known):
        k = min(10, len(known))
        distances, indices = nearest_neighbours(known.encodings, k, pending.encodings)
        for row, (face, image) in enumerate(zip(pending.face_ids, pending.image_ids, strict=True)):
            votes: Counter = Counter()
            nearest: dict[int, float] = {}
            for d, i in zip(distances[row], indices[row], strict=True):
                if i < 0 or d >= params.threshold:
                    continue
                person = int(known.person_ids[i])
                votes[person] += 1
                nearest.setdefault(person, float(d))
            ranked = sorted(votes, key=lambda p: (-votes[p], nearest[p]))
            for person in ranked:
                if (int(face), person) in rejected or person in in_photo[int(image)]:
                    continue
                chosen[int(face)] = person
                in_photo[int(image)].add(person)
                break
    ps.assign_faces(con, list(chosen), list(chosen.values()), "cluster")
    report.assigned_to_existing = len(chosen)

    rest = pending.subset(~np.isin(pending.face_ids, list(chosen)))
    labels = cluster_faces(rest.encodings, rest.image_ids, params)
    clusters = sorted(set(labels[labels >= 0].tolist()))
    new_ids = dict(zip(clusters, ps.new_people(con, len(clusters)), strict=True))
    faces_new = [int(f) for f, label in zip(rest.face_ids, labels, strict=True) if label >= 0]
    ps.assign_faces(
        con, faces_new, [new_ids[int(label)] for label in labels if label >= 0], "cluster"
    )
    report.new_people = len(clusters)
    report.assigned_to_new = len(faces_new)
    report.unassigned = len(rest) - len(faces_new)
    return report


# ---------------------------------------------------------------- corrections


def _edit(library, action: str, detail: dict, face_ids, person_ids, change) -> dict:
    """Run `change(con)` in one transaction, logged with what it replaced (for undo)."""
    with Library.open(library, write=True) as lib:
        con = lib.connection
        with store.transaction(con):
            before = ps.snapshot(con, face_ids(con), person_ids(con))
            result = change(con) or {}
            after_people = set(result.pop("created", []))
            if after_people:
                before["person_ids"] = sorted(set(before["person_ids"]) | after_people)
            ps.log_edit(con, action, detail, before)
        graph.refresh_existing(lib)
        return result


def _people_of_faces(face_ids: list[int]):
    """For `_edit`: the people the faces belong to now."""
    return lambda con: [p for _, p in ps.existing_faces(con, face_ids) if p is not None]


def _no_faces(con) -> list[int]:
    return []


def _require_person(con, person_id: int) -> None:
    if not ps.person_exists(con, person_id):
        raise PersonNotFoundError(f"no person {person_id}; 'facegraph people list' shows them")


def _require_faces(con, face_ids) -> list[tuple]:
    found = ps.existing_faces(con, face_ids)
    missing = sorted(set(face_ids) - {f for f, _ in found})
    if missing:
        raise FacegraphError(f"no face {', '.join(map(str, missing))}")
    return found


def name_person(library, person_id: int, name: str | None) -> None:
    """Give a person a name (None clears it)."""

    def change(con):
        _require_person(con, person_id)
        con.execute("UPDATE people SET name = ? WHERE person_id = ?", [name, person_id])

    _edit(library, "name", {"person_id": person_id, "name": name}, _no_faces,
          lambda con: [person_id], change)  # fmt: skip


def hide_person(library, person_id: int, hidden: bool = True) -> None:
    """Hide a person from lists and the network (or show them again)."""

    def change(con):
        _require_person(con, person_id)
        con.execute("UPDATE people SET hidden = ? WHERE person_id = ?", [hidden, person_id])

    _edit(library, "hide" if hidden else "unhide", {"person_id": person_id}, _no_faces,
          lambda con: [person_id], change)  # fmt: skip


def merge_people(library, sources: list[int], into: int) -> int:
    """Move every face of `sources` to `into` and remove the sources; returns faces moved."""
    sources = [s for s in dict.fromkeys(sources) if s != into]

    def change(con):
        for person in [*sources, into]:
            _require_person(con, person)
        moved = ps.faces_of(con, sources)
        ps.assign_faces(con, moved, [into] * len(moved), "user")
        con.execute("DELETE FROM face_rejections WHERE person_id IN (SELECT unnest(?))", [sources])
        con.execute("DELETE FROM people WHERE person_id IN (SELECT unnest(?))", [sources])
        return {"moved": len(moved)}

    result = _edit(
        library, "merge", {"sources": sources, "into": into},
        lambda con: ps.faces_of(con, sources), lambda con: [*sources, into], change,
    )  # fmt: skip
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
            _require_person(con, target)
        ps.assign_faces(con, face_ids, [target] * len(face_ids), "user")
        con.execute(
            "DELETE FROM face_rejections WHERE person_id = ? AND face_id IN (SELECT unnest(?))",
            [target, face_ids],
        )
        ps.delete_unused_people(con)
        return {"person_id": target, "created": created}

    def people_involved(con):
        return _people_of_faces(face_ids)(con) + ([to_person] if to_person is not None else [])

    result = _edit(library, "move", {"faces": face_ids, "to": to_person},
                   lambda con: face_ids, people_involved, change)  # fmt: skip
    return result["person_id"]


def reject_faces(library, face_ids: list[int]) -> None:
    """ "Not this person": each face leaves its person and is never assigned back to them."""

    def change(con):
        found = _require_faces(con, face_ids)
        pairs = [(f, p) for f, p in found if p is not None]
        if pairs:
            con.executemany("INSERT OR IGNORE INTO face_rejections VALUES (?, ?)", pairs)
        ps.assign_faces(con, [f for f, _ in pairs], [None] * len(pairs), None)
        ps.delete_unused_people(con)

    _edit(
        library, "not-this-person", {"faces": face_ids}, lambda con: face_ids,
        _people_of_faces(face_ids), change,
    )  # fmt: skip


def mark_not_a_face(library, face_ids: list[int]) -> None:
    """ "Not a face": left out of clustering, people and the graph."""

    def change(con):
        _require_faces(con, face_ids)
        con.execute(
            "UPDATE faces SET not_a_face = true, person_id = NULL, assigned_by = NULL"
            " WHERE face_id IN (SELECT unnest(?))",
            [face_ids],
        )
        ps.delete_unused_people(con)

    _edit(
        library, "not-a-face", {"faces": face_ids}, lambda con: face_ids,
        _people_of_faces(face_ids), change,
    )  # fmt: skip


def undo(library, count: int = 1) -> list[str]:
    """Undo the last `count` edits, newest first; returns their actions."""
    with Library.open(library, write=True) as lib:
        con = lib.connection
        with store.transaction(con):
            edits = ps.undoable_edits(con, count)
            if not edits:
                raise NothingToUndoError("nothing to undo")
            for edit_id, _, before in edits:
                ps.restore(con, before)
                ps.mark_undone(con, edit_id)
        graph.refresh_existing(lib)
        return [action for _, action, _ in edits]


def forget_person(library, person_id: int) -> int:
    """Delete a person and every encoding and crop of their faces, for good.

    The faces keep only their boxes (so the photo still counts a face) and are marked
    forgotten; the person's name leaves the edit log, the undo history before this point is
    dropped, and the database file is rewritten so no deleted bytes remain in it. Returns the
    number of faces forgotten. This cannot be undone.
    """
    with Library.open(library, write=True) as lib:
        con = lib.connection
        with store.transaction(con):
            _require_person(con, person_id)
            face_ids = ps.faces_of(con, [person_id])
            con.execute(
                "UPDATE faces SET encoding = NULL, crop_jpeg = NULL, landmarks = NULL,"
                " person_id = NULL, assigned_by = NULL, forgotten = true"
                " WHERE face_id IN (SELECT unnest(?))",
                [face_ids],
            )
            con.execute("DELETE FROM face_rejections WHERE person_id = ?", [person_id])
            con.execute("DELETE FROM people WHERE person_id = ?", [person_id])
            con.execute(
                "DELETE FROM edits WHERE action = 'name'"
                " AND json_extract(detail, '$.person_id')::BIGINT = ?",
                [person_id],
            )
            con.execute("UPDATE edits SET previous = NULL")
            ps.log_edit(con, "forget", {"faces": len(face_ids)}, None)
        # rebuilt, not synced: a new file holds no deleted bytes of the person
        graph.refresh_existing(lib, rebuild=True)
        path = lib.database_path
    store.rewrite_database(path)
    return len(face_ids)


# ---------------------------------------------------------------- reading


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
    library: str | os.PathLike[str] | None = None, include_hidden: bool = False
) -> list[dict]:
    """Every person with name, face and photo counts, and a representative face."""
    with Library.open(library) as lib:
        people = ps.people_summary(lib.connection, include_hidden)
        representatives = representative_faces(*ps.assigned_encodings(lib.connection))
    for person in people:
        person["representative_face_id"] = representatives.get(person["person_id"])
    return people


def show_person(library: str | os.PathLike[str] | None, person_id: int) -> dict:
    """A person, their faces (with photo path and box) and their representative face."""
    with Library.open(library) as lib:
        con = lib.connection
        _require_person(con, person_id)
        (summary,) = ps.people_summary(con, person_id=person_id)
        representatives = representative_faces(*ps.assigned_encodings(con, person_id))
        summary["representative_face_id"] = representatives.get(person_id)
        summary["faces_list"] = ps.person_faces(con, person_id)
    return summary


def edit_history(library: str | os.PathLike[str] | None = None, limit: int = 50) -> list[dict]:
    """The latest edits and clustering runs, newest first."""
    with Library.open(library) as lib:
        return ps.edit_log(lib.connection, limit)
