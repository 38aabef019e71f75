"""An evidence sheet: every photo a group of people share, with the proof behind each face.

For each photo: its path, date, SHA-256 (read from the file now, and compared with the
fingerprint taken when it was analysed: "as analysed", "changed since analysed" or
"missing"), and for each face of the people asked for its box, its distance to the nearest
other face of that person and the calibrated confidence `facegraph find` would give that
distance (`find.confidence`), and who decided the identity: a person (named, moved, merged,
accepted, imported from the photo's metadata or from a folder of known people; with the edit
and its time) or the clustering.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib.metadata import version
from typing import Any

import numpy as np

from ..find.confidence import confidence
from ..ingestion.video import video_of
from ..library import Library
from ..people.read import resolve_people
from . import store

LibraryPath = str | os.PathLike[str] | None

#: what each logged edit that places faces means, in words
HOW = {
    "move": "a person: moved here",
    "merge": "a person: merged",
    "accept": "a person: accepted in review",
    "find": "a person: accepted from a search",
    "import-known": "a person: reference photo of a known person",
    "names-from-photos": "a person: named in the photo's metadata",
}


@dataclass
class EvidenceFace:
    face_id: int
    person_id: int
    person: str
    box: list[int]  # left, top, right, bottom in the photo as shown (EXIF orientation applied)
    distance: float | None  # to the nearest other face of the person; None: their only face
    confidence: float | None
    decided_by: str  # "person" or "clustering"
    how: str
    decided_at: str | None = None


@dataclass
class EvidencePhoto:
    image_id: int
    path: str
    taken_at: str | None
    sha256: str | None
    file: str  # "as analysed", "changed since analysed" or "missing"
    width: int | None
    height: int | None
    faces: list[EvidenceFace] = field(default_factory=list)
    #: the moment it belongs to (near-duplicates: a burst, the same photo posted again), and,
    #: for the second and later photos of a moment, the first one's path: a tie counts it once
    moment: int | None = None
    same_moment_as: str | None = None
    #: a shot of a video: the second of the frame shown of it (its people seen together)
    frame_s: float | None = None


@dataclass
class EvidenceSheet:
    people: list[dict[str, Any]]
    photos: list[EvidencePhoto]
    library: str
    made_at: str
    facegraph_version: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def moments(self) -> int:
        """How many moments the photos make (what the tie's weight counts)."""
        return len({p.moment for p in self.photos})

    @property
    def undated(self) -> int:
        return sum(1 for p in self.photos if p.taken_at is None)


def evidence_sheet(library: LibraryPath, people: Sequence[int | str]) -> EvidenceSheet:
    """The evidence for what `people` (IDs or names; two or more for a tie, one for a person's
    photos) share: every photo in which all of them appear, oldest first, undated last."""
    person_ids = resolve_people(library, people)
    with Library.open(library) as lib:
        con = lib.connection
        names = store.people_names(con, person_ids)
        photos = store.shared_photos(con, person_ids)
        faces = store.faces_in_photos(con, [p["image_id"] for p in photos], person_ids)
        edits = store.last_edits(con, [f["face_id"] for f in faces])
        nearest = {p: _NearestFace(*store.person_encodings(con, p)) for p in person_ids}
        root = str(lib.path)
    labels = {p: names.get(p) or f"Person {p}" for p in person_ids}
    faces_of: dict[int, list[EvidenceFace]] = {}
    for face in faces:
        distance = nearest[face["person_id"]].distance(face["face_id"], face["image_id"])
        faces_of.setdefault(face["image_id"], []).append(
            EvidenceFace(
                face_id=face["face_id"],
                person_id=face["person_id"],
                person=labels[face["person_id"]],
                box=[face["left"], face["top"], face["right"], face["bottom"]],
                distance=None if distance is None else round(distance, 4),
                confidence=None if distance is None else round(float(confidence(distance)), 3),
                **_decision(face["assigned_by"], edits.get(face["face_id"])),
            )
        )
    listed = []
    first_of_moment: dict[int, str] = {}
    for photo in photos:
        first = first_of_moment.setdefault(photo["moment"], photo["path"])
        # a video's shot (VIDEO#t=START,END) is proved by the video file
        sha256, state = _file_digest(video_of(photo["path"]), photo["content_hash"])
        listed.append(
            EvidencePhoto(
                image_id=photo["image_id"],
                path=photo["path"],
                taken_at=photo["taken_at"].isoformat(sep=" ") if photo["taken_at"] else None,
                sha256=sha256,
                file=state,
                width=photo["width"],
                height=photo["height"],
                faces=faces_of.get(photo["image_id"], []),
                moment=photo["moment"],
                same_moment_as=first if first != photo["path"] else None,
                frame_s=photo["frame_s"],
            )
        )
    return EvidenceSheet(
        people=[{"person_id": p, "name": names.get(p), "label": labels[p]} for p in person_ids],
        photos=listed,
        library=root,
        made_at=datetime.now(UTC).isoformat(timespec="seconds"),
        facegraph_version=version("facegraph"),
    )


class _NearestFace:
    """Distances from one of a person's faces to the nearest of their other faces (faces in
    the same photo left out: the comparison is with other sightings)."""

    def __init__(self, face_ids: np.ndarray, image_ids: np.ndarray, encodings: np.ndarray):
        self.face_ids, self.image_ids, self.encodings = face_ids, image_ids, encodings
        self.row = {int(f): i for i, f in enumerate(face_ids)}

    def distance(self, face_id: int, image_id: int) -> float | None:
        row = self.row.get(face_id)
        others = self.image_ids != image_id
        if row is None or not others.any():
            return None
        gaps = np.linalg.norm(self.encodings[others] - self.encodings[row], axis=1)
        return float(gaps.min())


def _decision(assigned_by: str | None, edit: tuple | None) -> dict[str, Any]:
    if assigned_by != "user":
        return {"decided_by": "clustering", "how": "clustering (not checked by a person)"}
    if edit is None:
        return {"decided_by": "person", "how": "a person"}
    action, when = edit
    return {
        "decided_by": "person",
        "how": HOW.get(action, f"a person: {action}"),
        "decided_at": when.isoformat(sep=" ", timespec="seconds") if when else None,
    }


def _file_digest(path: str, analysed_hash: str | None) -> tuple[str | None, str]:
    """The file's SHA-256 now, and whether it is the file that was analysed."""
    sha256, blake = hashlib.sha256(), hashlib.blake2b(digest_size=16)
    try:
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                sha256.update(block)
                blake.update(block)
    except OSError:
        return None, "missing"
    same = analysed_hash is None or blake.hexdigest() == analysed_hash
    return sha256.hexdigest(), "as analysed" if same else "changed since analysed"
