"""Known people from folders (``KNOWN_DIR/<Name>/*.jpg``, ``KNOWN_DIR/<Name>.jpg``) into the
library, as fixed labels for clustering.

Each reference photo is ingested like any photo (it is one: the person is in it) and its face
is given to the person of that name, created if no one has it, as if a user had placed it
there. Clustering never moves such a face, and faces that match it join that person; faces
that match no one stay unnamed. A photo with no face is reported and skipped; one with several
gives its largest face when that face is clearly the largest (twice the area of the next),
else it is skipped with the reason, since the wrong face would teach clustering the wrong
person. Running it again changes nothing.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field

from ..ingestion.run import ingest
from ..ingestion.settings import DetectionSettings
from ..library import Library
from ..people.edits import accept_faces
from ..people.store import person_named
from . import store
from .known import known_photos

#: a photo with several faces names its largest only when it is this many times the next
CLEARLY_LARGEST = 2.0


@dataclass
class KnownImport:
    photos: int = 0
    #: people the import created, and the ones it found by name
    new_people: list[str] = field(default_factory=list)
    found_people: list[str] = field(default_factory=list)
    faces_named: int = 0  # faces given a person by this run (0 when run again)
    #: one line per photo that named no one, with why
    skipped: list[str] = field(default_factory=list)
    #: one line per photo with several faces whose largest was used
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        people = len(self.new_people) + len(self.found_people)
        return (
            f"{people} known people from {self.photos} photos ({len(self.new_people)} new);"
            f" {self.faces_named} faces named, {len(self.skipped)} photos skipped"
        )

    def as_dict(self) -> dict:
        return {**asdict(self), "summary": self.summary()}


def import_known_people(
    library: str | os.PathLike[str] | None,
    known_dir: str | os.PathLike[str],
    *,
    settings: DetectionSettings | None = None,
    progress: bool | None = None,
) -> KnownImport:
    """Read a folder of known people into the library (see the module's description)."""
    known = known_photos(known_dir)
    report = KnownImport(photos=len(known))
    paths = [os.path.abspath(k.path) for k in known]
    ingested = ingest(paths, library, settings=settings, progress=progress) if paths else None
    errors = dict(ingested.errors) if ingested else {}
    with Library.open(library) as lib:
        faces = store.faces_of_photos(lib.connection, paths)
    chosen: dict[str, list[int]] = {}
    for entry, path in zip(known, paths, strict=True):
        if path not in faces:
            report.skipped.append(f"{entry.path}: {errors.get(path, 'could not be read')}")
            continue
        face = _the_face(faces[path], entry.path, report)
        if face is not None:
            chosen.setdefault(entry.name, []).append(face["face_id"])
    for name, face_ids in chosen.items():
        with Library.open(library) as lib:
            person = person_named(lib.connection, name)
            theirs = {
                f["face_id"]
                for photo in faces.values()
                for f in photo
                if person is not None and f["person_id"] == person and f["by"] == "user"
            }
        (report.found_people if person is not None else report.new_people).append(name)
        if set(face_ids) <= theirs:
            continue  # imported before: nothing to change
        done = accept_faces(library, face_ids, name, action="import-known")
        report.faces_named += done["moved"]
    return report


def _the_face(faces: list[dict], path: str, report: KnownImport) -> dict | None:
    if not faces:
        report.skipped.append(f"{path}: no face found")
        return None
    if len(faces) == 1:
        return faces[0]
    by_area = sorted(faces, key=lambda f: -_area(f["box"]))
    if _area(by_area[0]["box"]) >= CLEARLY_LARGEST * _area(by_area[1]["box"]):
        report.notes.append(f"{path}: {len(faces)} faces; the largest names the person")
        return by_area[0]
    report.skipped.append(
        f"{path}: {len(faces)} faces of similar size; crop it to the person's face"
    )
    return None


def _area(box) -> int:
    return (box[2] - box[0]) * (box[3] - box[1])
