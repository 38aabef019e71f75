"""`face_recognition KNOWN_DIR UNKNOWN` done by facegraph: the same lines, for scripts written
for that command, with no library.

With the default ``hog`` detector the steps are `face_recognition`'s own: known photos are
searched at full size, photos to check are first reduced to 1600 px (Pillow's LANCZOS
thumbnail), dlib's HOG detector looks at them enlarged once, the first face of a known photo
names it, and every known person within `tolerance` of a face is printed. facegraph differs in
three ways, all for the better and none changing a name on upright photos: photos are turned
upright by their EXIF orientation first, ``KNOWN_DIR/<Name>/*.jpg`` folders are read too, and
``detector="auto"`` (RetinaFace) can be asked for.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from PIL import Image

from ..errors import PhotoError
from ..faces import detect as face_ops
from ..faces.encode import face_encoder
from ..ingestion.analyse import locate_faces
from ..ingestion.decode import decode_photo, read_bytes
from ..ingestion.settings import DetectionSettings
from .known import image_files, known_photos

#: face_recognition's command line reduces photos to check to this long side
CHECK_SIDE = 1600
UNKNOWN, NO_FACES = "unknown_person", "no_persons_found"


@dataclass(frozen=True)
class Identified:
    path: str
    name: str  # a known name, `UNKNOWN` or `NO_FACES`
    distance: float | None


def photo_encodings(path: str, detector: str = "hog", reduce: bool = True) -> list[np.ndarray]:
    """The encodings of the faces in a photo, in the detector's order, as
    `face_recognition.face_encodings` finds them. Raises `PhotoError`."""
    pixels = decode_photo(read_bytes(path)).pixels
    if reduce and max(pixels.shape[:2]) > CHECK_SIDE:
        image = Image.fromarray(pixels)
        image.thumbnail((CHECK_SIDE, CHECK_SIDE), Image.LANCZOS)
        pixels = np.asarray(image)
    detector = face_ops.resolve_detector(detector)  # type: ignore[arg-type]
    if detector == "retinaface":  # facegraph's own search (two scales, a second look)
        _, shapes = locate_faces(pixels, DetectionSettings(detector="retinaface"), pixels.shape[1])
    else:  # face_recognition's: dlib's detector on the photo enlarged once
        boxes = face_ops.detect_faces(pixels, detector, 1)  # type: ignore[arg-type]
        shapes = [face_ops.face_landmarks(pixels, box) for box in boxes]
    return list(face_encoder().encode(face_ops.face_chips(pixels, shapes), 1))


def scan_known(
    folder: str | os.PathLike[str], detector: str = "hog", warn=print
) -> tuple[list[str], np.ndarray]:
    """``(names, encodings)`` of a known-people folder; `warn` gets face_recognition's warnings."""
    names, encodings = [], []
    for known in known_photos(folder):
        try:
            found = photo_encodings(known.path, detector, reduce=False)
        except PhotoError as exc:
            warn(f"WARNING: {known.path}: {exc}. Ignoring file.")
            continue
        if len(found) > 1:
            warn(
                f"WARNING: More than one face found in {known.path}."
                " Only considering the first face."
            )
        if not found:
            warn(f"WARNING: No faces found in {known.path}. Ignoring file.")
            continue
        names.append(known.name)
        encodings.append(found[0])
    return names, np.array(encodings, dtype=np.float64).reshape(-1, 128)


def photos_to_check(paths: list[str | os.PathLike[str]]) -> list[str]:
    """Files as given; folders as face_recognition reads them (their photos, not below)."""
    found = []
    for path in map(os.fspath, paths):
        found.extend(image_files(path) if os.path.isdir(path) else [path])
    return found


def identify(
    known_dir: str | os.PathLike[str],
    photos: list[str | os.PathLike[str]],
    *,
    tolerance: float = 0.6,
    detector: str = "hog",
    warn=print,
    cpus: int = 1,
) -> Iterator[Identified]:
    """For each face of each photo, every known person within `tolerance` (or `UNKNOWN`); a
    photo with no face gives one `NO_FACES`. A photo that cannot be read goes to `warn`.
    `cpus` processes look at the photos to check (-1: one per core), as face_recognition's
    ``--cpus``; the lines come in the same order whatever their number."""
    names, known = scan_known(known_dir, detector, warn)
    for path, encodings in _encodings_of(photos_to_check(photos), detector, cpus):
        if isinstance(encodings, str):
            warn(f"WARNING: {path}: {encodings}. Ignoring file.")
            continue
        for encoding in encodings:
            distances = np.linalg.norm(known - encoding, axis=1) if len(known) else np.empty(0)
            matched = [
                Identified(path, name, float(d))
                for name, d in zip(names, distances, strict=True)
                if d <= tolerance
            ]
            yield from matched or [Identified(path, UNKNOWN, None)]
        if not encodings:
            yield Identified(path, NO_FACES, None)


def _photo_or_error(job: tuple[str, str]) -> tuple[str, list[np.ndarray] | str]:
    path, detector = job
    try:
        return path, photo_encodings(path, detector)
    except PhotoError as exc:
        return path, str(exc)


def _encodings_of(
    paths: list[str], detector: str, cpus: int
) -> Iterator[tuple[str, list[np.ndarray] | str]]:
    """Each photo's encodings (or why it cannot be read), in order, on `cpus` processes."""
    processes = (os.cpu_count() or 1) if cpus == -1 else max(1, cpus)
    jobs = [(path, detector) for path in paths]
    if processes == 1 or len(jobs) <= 1:
        yield from map(_photo_or_error, jobs)
        return
    # spawn, as ingest does: no inherited threads or open handles in the workers
    with multiprocessing.get_context("spawn").Pool(min(processes, len(jobs))) as pool:
        yield from pool.imap(_photo_or_error, jobs)
