"""Who is this? Every stored face that matches the face in a reference photo, best first.

The reference photos need not be in the library. Their faces are found with the library's
detector; each photo gives its largest face (or the one asked for), and several references of
one person combine: a stored face's distance is its mean distance to all of them. Every stored
face is searched exactly (`facegraph.find.matrix`: no approximate index misses a match), and each
match carries a calibrated confidence (`facegraph.find.confidence`).
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from datetime import datetime

import numpy as np

from ..errors import FindError, ParameterError, check_number
from ..ingestion.analyse import analyse_photos
from ..ingestion.settings import DetectionSettings
from ..library import Library
from . import confidence as calibration
from . import store
from .matrix import load_matrix

LibraryPath = str | os.PathLike[str] | None

#: the default threshold: a match more likely the person than not. On a search of all of
#: ../shared/lfw-dev, one reference photo per person: recall 0.71, precision 0.76 (0.9 gives
#: 0.37 and 0.96; docs/how-to/find-a-person.md)
DEFAULT_MIN_CONFIDENCE = 0.5


@dataclass
class QueryFace:
    """A face searched for: where it came from and whether the search used it."""

    source: str  # the reference photo's path, or "face N" for a stored face
    face: int  # its number in the photo, 1 = leftmost
    faces_in_photo: int
    box: tuple[int, int, int, int]  # left, top, right, bottom
    used: bool


@dataclass
class Match:
    face_id: int
    image_id: int
    path: str
    person_id: int | None
    name: str | None
    distance: float
    confidence: float
    taken_at: datetime | None
    box: tuple[int, int, int, int]
    assigned_by: str | None  # 'user' (placed or confirmed by a person), 'cluster' or None


@dataclass
class FindResult:
    query_faces: list[QueryFace]
    matches: list[Match]
    #: one line per reference photo that gave nothing (no face, not an image), and per
    #: reference photo found in the library (its own faces are left out)
    notes: list[str] = field(default_factory=list)
    min_confidence: float = DEFAULT_MIN_CONFIDENCE
    searched: int = 0  # stored faces compared

    def by_person(self) -> list[tuple[int | None, str | None, list[Match]]]:
        """The matches grouped by person (most matches first; unassigned faces last)."""
        groups: dict[int | None, list[Match]] = {}
        for match in self.matches:
            groups.setdefault(match.person_id, []).append(match)
        order = sorted(groups, key=lambda p: (p is None, -len(groups[p]), p or 0))
        return [(p, groups[p][0].name, groups[p]) for p in order]

    def summary(self) -> str:
        """ "found in 37 photos: 31 already Person 12 'Ada', 6 unassigned"."""
        photos = len({m.image_id for m in self.matches})
        if not photos:
            return (
                f"no match at confidence {self.min_confidence:g} or more among"
                f" {self.searched} stored faces"
            )
        parts = []
        for person, name, matches in self.by_person():
            count = len({m.image_id for m in matches})
            if person is None:
                parts.append(f"{count} unassigned")
            else:
                label = f"Person {person}" + (f" {name!r}" if name else "")
                parts.append(f"{count} already {label}")
        return f"found in {photos} photo{'s' if photos != 1 else ''}: " + ", ".join(parts)

    def as_dict(self) -> dict:
        return {
            "query_faces": [asdict(q) for q in self.query_faces],
            "matches": [
                {**asdict(m), "taken_at": m.taken_at.isoformat() if m.taken_at else None}
                for m in self.matches
            ],
            "notes": self.notes,
            "min_confidence": self.min_confidence,
            "searched": self.searched,
            "summary": self.summary(),
        }


def find_faces(
    library: LibraryPath,
    photos: list[str | os.PathLike[str]] | tuple = (),
    *,
    face: int | None = None,
    face_ids: list[int] | tuple = (),
    min_confidence: float = DEFAULT_MIN_CONFIDENCE,
    top: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    include_hidden: bool = False,
    for_person: int | None = None,
    settings: DetectionSettings | None = None,
) -> FindResult:
    """Find every stored face of the person in `photos` (reference photos, anywhere) and/or of
    the stored faces `face_ids`.

    `face` picks the N-th face (1 = leftmost) of each photo instead of its largest. Matches
    have at least `min_confidence`, best first, at most `top`; `since`/`until` keep photos taken
    in that range (undated photos are then left out). Hidden people's faces are searched only
    with `include_hidden`. With `for_person`, faces a user said are not that person are left
    out (they are never proposed for them again).
    """
    check_number("min_confidence", min_confidence, 0.0, 1.0)
    if top is not None:
        check_number("top", top, 1)
    if face is not None:
        check_number("face", face, 1)
    if not photos and not face_ids:
        raise ParameterError("give a reference photo or a stored face to search for")
    query_faces, encodings, hashes, notes = _reference_faces(
        [os.path.expanduser(os.fspath(p)) for p in photos], face, settings or DetectionSettings()
    )
    with Library.open(library) as lib:
        con = lib.connection
        for face_id in face_ids:
            stored = _stored_face(con, int(face_id))
            query_faces.append(stored[0])
            encodings.append(stored[1])
        if not encodings:
            raise FindError("no face to search for: " + "; ".join(notes))
        matrix = load_matrix(con, lib.path)
        if len(matrix) == 0:
            raise FindError(f"{lib.path} holds no faces yet: run `facegraph ingest` first")
        limit = calibration.distance_for(min_confidence)
        distances = matrix.distances(np.stack(encodings)).mean(axis=0)
        near = np.flatnonzero(distances <= limit)
        rows = store.describe_faces(con, matrix.face_ids[near].tolist())
        rejected = store.rejected_for(con, for_person)
        in_library = store.images_with_hashes(con, hashes)
    reference_ids = {int(f) for f in face_ids}
    by_face = dict(zip(matrix.face_ids[near].tolist(), distances[near].tolist(), strict=True))
    matches = []
    for row in rows:
        if row["face_id"] in reference_ids or row["face_id"] in rejected:
            continue
        if row["image_id"] in in_library or (row["hidden"] and not include_hidden):
            continue
        if (since or until) and not _in_range(row["taken_at"], since, until):
            continue
        distance = by_face[row["face_id"]]
        matches.append(
            Match(
                face_id=row["face_id"],
                image_id=row["image_id"],
                path=row["path"],
                person_id=row["person_id"],
                name=row["name"],
                distance=round(distance, 4),
                confidence=round(float(calibration.confidence(distance)), 4),
                taken_at=row["taken_at"],
                box=(row["box_left"], row["box_top"], row["box_right"], row["box_bottom"]),
                assigned_by=row["assigned_by"] if row["person_id"] is not None else None,
            )
        )
    matches.sort(key=lambda m: (m.distance, m.face_id))
    for image_id, path in sorted(in_library.items()):
        notes.append(
            f"{path}: the reference photo is in the library (photo {image_id});"
            " its own faces are left out"
        )
    return FindResult(
        query_faces, matches[:top] if top else matches, notes, min_confidence, len(matrix)
    )


def _reference_faces(paths: list[str], face: int | None, settings: DetectionSettings):
    """The faces of the reference photos: ``(query faces, encodings, content hashes, notes)``."""
    query_faces: list[QueryFace] = []
    encodings: list[np.ndarray] = []
    hashes: list[str] = []
    notes: list[str] = []
    for path, result in zip(paths, analyse_photos(paths, settings.resolved()), strict=True):
        if result.status == "error":
            notes.append(f"{path}: {result.error}")
            continue
        if result.content_hash:
            hashes.append(result.content_hash)
        found = sorted(result.faces, key=lambda f: (f.box[0], f.box[1]))
        if not found:
            notes.append(f"{path}: no face found")
            continue
        if face is None:
            chosen = max(range(len(found)), key=lambda i: _area(found[i].box))
        elif face <= len(found):
            chosen = face - 1
        else:
            chosen = None
            notes.append(f"{path}: has {len(found)} face(s), no face {face}")
        for index, record in enumerate(found):
            query_faces.append(
                QueryFace(path, index + 1, len(found), tuple(record.box), index == chosen)
            )
        if chosen is not None:
            encodings.append(found[chosen].encoding)
    return query_faces, encodings, hashes, notes


def _area(box) -> int:
    return (box[2] - box[0]) * (box[3] - box[1])


def _stored_face(con, face_id: int) -> tuple[QueryFace, np.ndarray]:
    found = store.stored_face(con, face_id)
    if found is None:
        raise FindError(f"no face {face_id} with an encoding in the library")
    box, encoding = found
    return QueryFace(f"face {face_id}", 1, 1, box, True), encoding


def _in_range(taken_at: datetime | None, since: datetime | None, until: datetime | None) -> bool:
    if taken_at is None:
        return False
    return (since is None or taken_at >= since) and (until is None or taken_at <= until)
