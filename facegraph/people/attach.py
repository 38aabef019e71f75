"""Faces joining people who already exist, and the rule that keeps two people apart."""

from __future__ import annotations

import numpy as np

from .neighbours import nearest_neighbours


def attach_faces(
    known: np.ndarray,
    known_labels: np.ndarray,
    known_images: np.ndarray,
    faces: np.ndarray,
    face_images: np.ndarray,
    threshold: float,
    forbidden: set[tuple[int, int]] | None = None,
    nearest: int = 8,
    ratio: float = 1.0,
    neighbours: int = 40,
    candidates: tuple[np.ndarray, np.ndarray] | None = None,
    rivals: np.ndarray | None = None,
) -> np.ndarray:
    """The label each face joins among labelled `known` faces, or -1.

    A face joins the label whose `nearest` faces lie closest to it on average, if that average
    is below `threshold`: average linkage to the part of the person the face resembles, so one
    close face is not enough (a stranger who looks like one photo of someone stays apart), while
    a person seen in many poses need not be close to all of them (0 = all faces).

    It must also be unambiguous: that average must be below `ratio` times the next best
    choice, i.e. the second best label, or another of `faces` (from another photo) the face may
    form a new person with. Where many different people look alike to the model, a face lies
    about as close to several of them and stays unassigned rather than join the wrong one.

    Never a label already in the face's photo, nor ``(face index, label)`` in `forbidden`
    ("not this person").

    `candidates` (each face's nearest known faces, as `nearest_neighbours` gives them) and
    `rivals` (each face's distance to the nearest other face from another photo) may come from
    a search the caller already made; otherwise they are searched for here."""
    chosen = np.full(len(faces), -1, dtype=np.int64)
    if len(known) == 0 or len(faces) == 0:
        return chosen
    forbidden = forbidden or set()
    known = np.asarray(known, dtype=np.float32)
    faces = np.asarray(faces, dtype=np.float32)
    labels = np.unique(known_labels)
    order = np.argsort(known_labels, kind="stable")
    starts = np.searchsorted(known_labels[order], labels)
    members = dict(zip(labels.tolist(), np.split(order, starts[1:]), strict=True))
    in_photo: dict[int, set[int]] = {}
    for image, label in zip(known_images.tolist(), known_labels.tolist(), strict=True):
        in_photo.setdefault(image, set()).add(label)
    reach = threshold / ratio  # a label farther than this can be neither best nor runner-up
    distances, indices = candidates or nearest_neighbours(known, min(neighbours, len(known)), faces)
    if rivals is None and ratio < 1:
        rivals = _nearest_other_photo(faces, face_images)
    for row in range(len(faces)):
        near = indices[row][(distances[row] < reach) & (indices[row] >= 0)]
        taken = in_photo.setdefault(int(face_images[row]), set())
        scores = []
        for label in dict.fromkeys(known_labels[near].tolist()):
            if label in taken or (row, label) in forbidden:
                continue
            spread = np.linalg.norm(known[members[label]] - faces[row], axis=1)
            if nearest and len(spread) > nearest:
                spread = np.partition(spread, nearest - 1)[:nearest]
            scores.append((float(spread.mean()), label))
        if not scores:
            continue
        scores.sort()
        best, label = scores[0]
        runner_up = scores[1][0] if len(scores) > 1 else np.inf
        if rivals is not None:
            runner_up = min(runner_up, float(rivals[row]))
        if best < threshold and best < ratio * runner_up:
            chosen[row] = label
            taken.add(label)
    return chosen


def _nearest_other_photo(faces: np.ndarray, images: np.ndarray) -> np.ndarray:
    """Each face's distance to the nearest other face from another photo (inf if none)."""
    if len(faces) < 2:
        return np.full(len(faces), np.inf, dtype=np.float32)
    return nearest_other_photo(nearest_neighbours(faces, min(5, len(faces) - 1)), images)


def nearest_other_photo(
    neighbours: tuple[np.ndarray, np.ndarray], images: np.ndarray
) -> np.ndarray:
    """From a neighbour graph of faces: each face's distance to the nearest one from another
    photo (inf if none)."""
    distances, indices = neighbours
    found = np.full(len(indices), np.inf, dtype=np.float32)
    for row in range(len(indices)):
        for distance, other in zip(distances[row], indices[row], strict=True):
            if other >= 0 and images[other] != images[row]:
                found[row] = distance
                break
    return found


def keep_people_apart(
    labels: np.ndarray, people: np.ndarray, apart: set[tuple[int, int]]
) -> np.ndarray:
    """Split clusters that would join two people a user said are different.

    `people` is each face's person before this run (-1 for none); within a cluster, the faces of
    each person kept apart from one already in it (largest first) go to a cluster of their own."""
    labels = labels.copy()
    if not apart:
        return labels
    next_label = int(labels.max(initial=-1)) + 1
    for label in np.unique(labels[labels >= 0]):
        inside = np.flatnonzero(labels == label)
        owners, counts = np.unique(people[inside][people[inside] >= 0], return_counts=True)
        groups: list[set[int]] = []
        for owner in owners[np.argsort(-counts, kind="stable")].tolist():
            home = next(
                (g for g in groups if not any((min(owner, o), max(owner, o)) in apart for o in g)),
                None,
            )
            if home is None:
                home = set()
                groups.append(home)
            home.add(owner)
        for group in groups[1:]:
            labels[inside[np.isin(people[inside], list(group))]] = next_label
            next_label += 1
    return labels
