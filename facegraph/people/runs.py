"""Clustering runs: faces become people, identities stay stable across runs.

Rules that no clustering run breaks (the corrections in `edits` set them):

- a face a user placed (move, merge) stays where the user put it;
- a face marked "not this person" is never assigned to that person again;
- a face marked "not a face" takes no part in clustering;
- two faces of one photo never belong to the same person.
"""

from __future__ import annotations

import os
import time
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field

import numpy as np

from .. import graph
from ..faces import quality
from ..library import Library, transaction
from . import edit_store
from . import store as ps
from .attach import attach_faces, keep_people_apart
from .clustering import cluster_faces
from .incremental import place_new_faces
from .params import ClusterParams
from .photo_names import apply_photo_names


@dataclass
class ClusterReport:
    mode: str  # "full" or "incremental"
    faces: int = 0
    considered: int = 0
    assigned_to_existing: int = 0
    new_people: int = 0
    assigned_to_new: int = 0
    unassigned: int = 0
    #: of those, faces too small, blurred or turned to start a person (`faces.quality`)
    unassigned_low_quality: int = 0
    people: int = 0
    #: faces given the people their photos' metadata names (`photo_names`), and where a file
    #: and facegraph disagree (facegraph's choice kept), one line each
    named_from_photos: int = 0
    name_conflicts: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def summary(self) -> str:
        """The run in one sentence."""
        return (
            f"{self.mode}: {self.considered} faces considered; {self.assigned_to_existing} "
            f"joined existing people, {self.assigned_to_new} formed {self.new_people} new "
            f"people, {self.unassigned} left unassigned ({self.unassigned_low_quality} of the"
            f" library's unassigned faces too small, blurred or turned); {self.people} people in"
            f" all{self._named()} ({self.seconds:.1f} s)"
        )

    def _named(self) -> str:
        if not (self.named_from_photos or self.name_conflicts):
            return ""
        return (
            f"; {self.named_from_photos} faces named by their photos' metadata"
            f" ({len(self.name_conflicts)} disagreements, facegraph's names kept)"
        )

    def as_dict(self) -> dict:
        return asdict(self)


def cluster_people(
    library: str | os.PathLike[str] | None = None,
    params: ClusterParams | None = None,
    *,
    full: bool = False,
) -> ClusterReport:
    """Assign faces to people.

    By default only faces without a person are considered: they are clustered together with the
    people they may belong to, and join the person who holds most of their cluster, or form new
    people (`place_new_faces`). ``full=True`` re-clusters every face, maps the new clusters to
    the existing people by overlap (so IDs and names stay), and keeps every manual edit.
    """
    params = params or ClusterParams()
    started = time.monotonic()
    names = apply_photo_names(library)
    with Library.open(library, write=True) as lib:
        con = lib.connection
        measure_missing_quality(con)
        faces = ps.clusterable_faces(con)
        rejected = ps.rejections(con)
        has_people = bool((faces.person_ids >= 0).any())
        mode = "full" if full or not has_people else "incremental"
        with transaction(con):
            if mode == "full":
                report = _full(con, faces, rejected, params)
            else:
                report = _incremental(con, faces, rejected, params)
            ps.delete_unused_people(con)
            edit_store.log_edit(con, "cluster", {"mode": mode, **asdict(params)}, None)
        report.faces = len(faces)
        report.named_from_photos, report.name_conflicts = names.faces_named, names.conflicts
        report.unassigned_low_quality = ps.count_unassigned_low_quality(con)
        report.people = ps.count_people(con)
        graph.refresh_existing(lib)
    report.seconds = time.monotonic() - started
    return report


def _full(con, faces: ps.FaceSet, rejected: set, params: ClusterParams) -> ClusterReport:
    """Re-cluster every face; the faces it leaves alone may still join someone unambiguously."""
    report = ClusterReport(mode="full", considered=int((~faces.by_user).sum()))
    labels = np.full(len(faces), -1, dtype=np.int64)
    good = faces.good | faces.by_user  # the others may only join someone (the late pass)
    labels[good] = cluster_faces(faces.encodings[good], faces.image_ids[good], params)
    labels = keep_people_apart(labels, faces.person_ids, edit_store.apart_pairs(con))
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
    late = [row for row, t in enumerate(target) if t is None and not faces.by_user[row]]
    placed = np.array([-1 if t is None else t for t in target], dtype=np.int64)
    placed[faces.by_user] = faces.person_ids[faces.by_user]
    if late:
        grouped = placed >= 0
        position = {int(faces.face_ids[row]): i for i, row in enumerate(late)}
        forbidden = {(position[face], person) for face, person in rejected if face in position}
        joined = attach_faces(
            faces.encodings[grouped], placed[grouped], faces.image_ids[grouped],
            faces.encodings[late], faces.image_ids[late], params.threshold + params.attach_slack,
            forbidden, params.attach_nearest, params.attach_ratio,
        )  # fmt: skip
        for row, person in zip(late, joined.tolist(), strict=True):
            if person >= 0:
                target[row] = person
    free = ~faces.by_user
    chosen = [t for t, f in zip(target, free, strict=True) if f]
    ps.assign_faces(con, faces.face_ids[free], chosen, "cluster")
    report.unassigned = sum(t is None for t in chosen)
    new_set = set(cluster_person[label] for label in unmatched)
    report.assigned_to_new = sum(t in new_set for t in chosen if t is not None)
    report.assigned_to_existing = len(chosen) - report.unassigned - report.assigned_to_new
    return report


def _incremental(con, faces: ps.FaceSet, rejected: set, params: ClusterParams) -> ClusterReport:
    assigned = faces.person_ids >= 0
    report = ClusterReport(mode="incremental", considered=int((~assigned).sum()))
    if assigned.all():
        return report
    pending = faces.subset(~assigned & faces.good)
    known = faces.subset(assigned)
    # people of one face that no one has touched may take new photos or join someone
    provisional = np.isin(known.person_ids, list(ps.provisional_people(con)))
    row_of = {int(face): row for row, face in enumerate(pending.face_ids)}
    forbidden = {(row_of[face], person) for face, person in rejected if face in row_of}
    placed = place_new_faces(
        known.encodings, known.person_ids, known.image_ids,
        pending.encodings, pending.image_ids, params, forbidden, provisional,
    )  # fmt: skip
    face_ids = np.concatenate([pending.face_ids, known.face_ids[placed.again]])
    current = np.concatenate([np.full(len(pending), -1), known.person_ids[placed.again]])
    joins, groups = placed.joins, placed.groups
    changed = (joins >= 0) & (joins != current)
    ps.assign_faces(con, face_ids[changed], joins[changed].tolist(), "cluster")
    labels = sorted(set(groups[groups >= 0].tolist()))
    new_ids = dict(zip(labels, ps.new_people(con, len(labels)), strict=True))
    grouped = groups >= 0
    ps.assign_faces(
        con, face_ids[grouped], [new_ids[g] for g in groups[grouped].tolist()], "cluster"
    )
    was_new = current < 0
    report.new_people = len(labels)
    report.assigned_to_existing = int(((joins >= 0) & was_new).sum())
    report.assigned_to_new = int((grouped & was_new).sum())
    # faces too poor to start a person join one only on an unambiguous match
    poor = faces.subset(~assigned & ~faces.good)
    if len(poor):
        now = ps.clusterable_faces(con)
        people = now.subset(now.person_ids >= 0)
        row_of = {int(face): row for row, face in enumerate(poor.face_ids)}
        forbidden = {(row_of[face], person) for face, person in rejected if face in row_of}
        attached = attach_faces(
            people.encodings, people.person_ids, people.image_ids, poor.encodings,
            poor.image_ids, params.threshold + params.attach_slack, forbidden,
            params.attach_nearest, params.attach_ratio,
        )  # fmt: skip
        took = attached >= 0
        ps.assign_faces(con, poor.face_ids[took], attached[took].tolist(), "cluster")
        report.assigned_to_existing += int(took.sum())
    report.unassigned = report.considered - report.assigned_to_existing - report.assigned_to_new
    return report


def measure_missing_quality(con, batch: int = 2000) -> int:
    """Size, sharpness and turn of faces stored before facegraph measured them (from their
    crops, once); returns how many were measured."""
    measured = 0
    while rows := ps.faces_without_quality(con, batch):
        values = []
        for face_id, crop, landmarks, box, photo_size in rows:
            sharp = quality.sharpness(crop, box, photo_size)
            turned = quality.turn(np.asarray(landmarks)) if landmarks is not None else None
            values.append((face_id, sharp, quality.quality_issues(box[2] - box[0], sharp, turned)))
        with transaction(con):
            ps.set_quality(con, values)
        measured += len(rows)
    return measured
