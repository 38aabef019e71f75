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
from dataclasses import asdict, dataclass

import numpy as np

from .. import graph
from ..library import Library, transaction
from . import edit_store
from . import store as ps
from .clustering import attach_faces, cluster_faces, keep_people_apart
from .params import ClusterParams


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


def cluster_people(
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
        with transaction(con):
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
            edit_store.log_edit(con, "cluster", {"mode": mode, **asdict(params)}, None)
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
    labels = keep_people_apart(labels, faces.person_ids, ps.apart_pairs(con))
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
    index_of = {int(face): row for row, face in enumerate(pending.face_ids)}
    forbidden = {(index_of[f], p) for f, p in rejected if f in index_of}
    joined = attach_faces(
        known.encodings, known.person_ids, known.image_ids,
        pending.encodings, pending.image_ids, params.threshold + params.attach_slack, forbidden,
        params.attach_nearest,
    )  # fmt: skip
    chosen = {
        int(face): int(person)
        for face, person in zip(pending.face_ids, joined, strict=True)
        if person >= 0
    }
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
