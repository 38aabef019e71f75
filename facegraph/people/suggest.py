"""Suggestions for a person to confirm or reject: people who may be one person, and faces with
no person that look like someone. Clustering stays cautious; these are the cases it left for
a human, closest first.

Accepting a pair is `merge_people`; rejecting it is `keep_apart`, remembered so that the pair is
never suggested again and no clustering run puts the two together. Accepting a face is
`move_faces`; rejecting it is `reject_faces`.
"""

from __future__ import annotations

import os

import numpy as np

from ..library import Library
from . import edit_store
from . import read_store as rs
from . import store as ps
from .clustering import nearest_neighbours
from .params import ClusterParams
from .read import representative_faces

#: how much farther than the clustering threshold a suggestion may reach
LOOSER_BY = 0.12
#: a face is compared with this many of a person's faces nearest to it
NEAREST = 8


def suggest_same_person(
    library: str | os.PathLike[str] | None = None,
    limit: int = 50,
    params: ClusterParams | None = None,
) -> list[dict]:
    """Pairs of people that may be one person, most likely first.

    A pair qualifies when the average distance between the two people's faces is under the
    clustering threshold plus `LOOSER_BY`; never two people seen in one photo together, never a
    pair a user kept apart. ``confidence`` is 1 at distance 0 and 0 at that looser limit."""
    params = params or ClusterParams()
    limit_distance = params.threshold + LOOSER_BY
    with Library.open(library) as lib:
        con = lib.connection
        face_ids, person_ids, encodings = ps.assigned_encodings(con)
        apart = edit_store.apart_pairs(con)
        photos = ps.photos_of_people(con)
        names = {p["person_id"]: p["name"] for p in rs.people_summary(con)}
    people = [int(p) for p in np.unique(person_ids) if int(p) in names]  # visible people
    if len(people) < 2:
        return []
    members = {p: encodings[person_ids == p] for p in people}
    centres = np.stack([members[p].mean(axis=0) for p in people]).astype(np.float32)
    distances, indices = nearest_neighbours(centres, min(10, len(people) - 1))
    found = []
    for row, person in enumerate(people):
        for centre_distance, column in zip(distances[row], indices[row], strict=True):
            other = people[int(column)] if column >= 0 else None
            if other is None or other <= person or centre_distance >= limit_distance:
                continue
            if (person, other) in apart or photos[person] & photos[other]:
                continue
            a, b = members[person], members[other]
            mean = float(np.linalg.norm(a[:, None, :] - b[None, :, :], axis=2).mean())
            if mean < limit_distance:
                found.append((mean, person, other))
    found.sort()
    representatives = representative_faces(face_ids, person_ids, encodings)
    return [
        {
            "person_a": a,
            "person_b": b,
            "name_a": names[a],
            "name_b": names[b],
            "faces_a": len(members[a]),
            "faces_b": len(members[b]),
            "face_a": representatives.get(a),
            "face_b": representatives.get(b),
            "distance": round(mean, 4),
            "confidence": round(max(0.0, 1 - mean / limit_distance), 3),
        }
        for mean, a, b in found[:limit]
    ]


def suggest_people_for_faces(
    library: str | os.PathLike[str] | None = None,
    limit: int = 50,
    params: ClusterParams | None = None,
) -> list[dict]:
    """Faces with no person and the person each most likely is, most likely first: the mean
    distance to that person's `NEAREST` nearest faces under the looser limit, never a person
    already in the face's photo nor one the face was rejected from."""
    params = params or ClusterParams()
    limit_distance = params.threshold + LOOSER_BY
    with Library.open(library) as lib:
        con = lib.connection
        face_ids, image_ids, encodings = ps.unassigned_faces(con)
        known_faces, known_people, known_encodings = ps.assigned_encodings(con)
        rejected = ps.rejections(con)
        photos = ps.photos_of_people(con)
        names = {p["person_id"]: p["name"] for p in rs.people_summary(con)}
    visible = np.isin(known_people, list(names))
    known_people, known_encodings = known_people[visible], known_encodings[visible]
    if len(face_ids) == 0 or len(known_people) == 0:
        return []
    distances, indices = nearest_neighbours(known_encodings, min(20, len(known_people)), encodings)
    found = []
    for row, face in enumerate(face_ids.tolist()):
        best = None
        near = indices[row][(indices[row] >= 0) & (distances[row] < limit_distance)]
        for person in dict.fromkeys(known_people[near].tolist()):
            if (face, person) in rejected or int(image_ids[row]) in photos.get(person, set()):
                continue
            spread = np.linalg.norm(
                known_encodings[known_people == person] - encodings[row], axis=1
            )
            mean = float(np.sort(spread)[:NEAREST].mean())
            if mean < limit_distance and (best is None or mean < best[0]):
                best = (mean, person)
        if best is not None:
            found.append((best[0], face, best[1]))
    found.sort()
    return [
        {
            "face_id": face,
            "person_id": person,
            "name": names[person],
            "distance": round(mean, 4),
            "confidence": round(max(0.0, 1 - mean / limit_distance), 3),
        }
        for mean, face, person in found[:limit]
    ]
