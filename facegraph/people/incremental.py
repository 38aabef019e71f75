"""New faces into existing people without re-clustering the library: arrays in, choices out.

The new faces are clustered together with every person they might belong to (the people of
their nearest faces), by the same method as a full run, so a run after each import ends where
one run over everything would. A new face then joins the person who holds most of its
cluster's earlier faces (if the cluster holds at least half of that person's faces); a
cluster of new faces only becomes a new person. Faces the
clustering leaves alone stay unassigned (on ../shared/lfw-dev, letting them join the person
`attach_faces` finds closest merged strangers that a full run keeps apart).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np

from .clustering import cluster_faces
from .neighbours import nearest_neighbours
from .params import ClusterParams

#: a person takes part when one of their faces lies this much beyond the threshold, or nearer
REGION_MARGIN = 0.15
#: ... with at most this many of their faces (spread over all of them), so that a person seen
#: in thousands of photos costs no more than one seen in dozens
FACES_PER_PERSON = 24


@dataclass
class Placement:
    """Where faces go. Rows are the new faces, then the provisional faces placed again (their
    rows in `known` are `again`)."""

    joins: np.ndarray  # the person a face joins, or -1
    groups: np.ndarray  # the new person a face helps form (a group label), or -1
    again: np.ndarray  # rows of `known` placed again


def place_new_faces(
    known: np.ndarray,
    known_people: np.ndarray,
    known_images: np.ndarray,
    new: np.ndarray,
    new_images: np.ndarray,
    params: ClusterParams,
    forbidden: set[tuple[int, int]] | None = None,
    provisional: np.ndarray | None = None,
) -> Placement:
    """Where each new face goes. ``(row of new, person)`` in `forbidden` is never chosen.

    `provisional` marks known faces that are a person of their own (one face, made by an
    earlier run, untouched since): those near the new faces are placed again with them, so
    that a face seen once joins its second photo; a group holding one keeps that person."""
    forbidden = forbidden or set()
    nothing = np.empty(0, dtype=np.int64)
    if len(known) == 0:
        groups = cluster_faces(new, new_images, params)
        return Placement(np.full(len(new), -1, dtype=np.int64), groups, nothing)
    distances, indices = nearest_neighbours(known, min(params.neighbours, len(known)), new)
    near = indices[(distances < params.threshold + REGION_MARGIN) & (indices >= 0)]
    involved = _sample_of_people(known_people, np.unique(known_people[near]), new_images)
    again = nothing
    current = np.full(len(new), -1, dtype=np.int64)
    if provisional is not None and len(new):
        again = np.flatnonzero(involved & provisional)
        involved &= ~provisional
        new = np.concatenate([new, known[again]])
        new_images = np.concatenate([new_images, known_images[again]])
        current = np.concatenate([current, known_people[again]])
    joins = np.full(len(new), -1, dtype=np.int64)
    region = np.concatenate([known[involved], new])
    region_images = np.concatenate([known_images[involved], new_images])
    labels = cluster_faces(region, region_images, params)
    known_labels, new_labels = labels[: int(involved.sum())], labels[int(involved.sum()) :]
    # a cluster belongs to the person with most faces in it, if it holds at least half of that
    # person's faces: where re-clustering scatters a person, new faces do not join them
    people_in_region = known_people[involved]
    owners = Counter(zip(known_labels.tolist(), people_in_region.tolist(), strict=True))
    faces_of = Counter(people_in_region.tolist())
    owner_of: dict[int, int | None] = {}
    for (label, person), count in sorted(owners.items(), key=lambda kv: (-kv[1], kv[0][1])):
        if label >= 0 and label not in owner_of:
            owner_of[label] = person if 2 * count >= faces_of[person] else None
    in_photo: dict[int, set[int]] = {}
    for image, person in zip(known_images.tolist(), known_people.tolist(), strict=True):
        in_photo.setdefault(image, set()).add(person)
    groups = np.full(len(new), -1, dtype=np.int64)
    for row, label in enumerate(new_labels.tolist()):
        if label < 0:
            continue
        if label not in owner_of:  # only new faces: a new person
            groups[row] = label
            continue
        person = owner_of[label]
        if person is None:
            continue
        taken = in_photo.setdefault(int(new_images[row]), set())
        if person not in taken and (row, person) not in forbidden:
            joins[row] = person
            taken.add(person)
    joins, groups = _keep_provisional(joins, groups, current)
    return Placement(joins, groups, again)


def _keep_provisional(
    joins: np.ndarray, groups: np.ndarray, current: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """A group holding faces of provisional people joins the first of them instead of becoming
    a new person (so a face seen once keeps its person until it is seen again)."""
    for label in np.unique(groups[groups >= 0]):
        rows = np.flatnonzero(groups == label)
        earlier = current[rows][current[rows] >= 0]
        if len(earlier):
            joins[rows] = earlier.min()
            groups[rows] = -1
    return joins, groups


def _sample_of_people(
    known_people: np.ndarray, people: np.ndarray, new_images: np.ndarray
) -> np.ndarray:
    """A mask of known faces: up to `FACES_PER_PERSON` faces of each of `people`, evenly
    spread over each person's faces."""
    rows = np.flatnonzero(np.isin(known_people, people))
    rows = rows[np.argsort(known_people[rows], kind="stable")]
    starts = np.flatnonzero(np.r_[True, known_people[rows][1:] != known_people[rows][:-1]])
    counts = np.diff(np.r_[starts, len(rows)])
    rank = np.arange(len(rows)) - np.repeat(starts, counts)
    size = np.repeat(counts, counts)
    step = np.maximum(size // FACES_PER_PERSON, 1)
    keep = (rank % step == 0) & (rank // step < FACES_PER_PERSON)
    mask = np.zeros(len(known_people), dtype=bool)
    mask[rows[keep]] = True
    return mask
