"""One photo in, its faces out: read, decode, detect, landmark, encode, crop.

This is the work a worker process does for each photo. It touches no database; every failure
becomes ``status="error"`` with a one-line reason, never an exception.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import PhotoError
from ..faces import detect as face_ops
from ..faces import quality
from ..faces.encode import face_encoder
from .decode import crop_jpeg, decode_photo, read_bytes, resize_long_side
from .records import FaceRecord, PhotoResult
from .scan import content_hash, file_stamp
from .settings import DetectionSettings


def locate_faces(pixels: np.ndarray, settings: DetectionSettings, original_width: int):
    """Detect and landmark faces in `pixels` (an upright RGB photo, possibly reduced).

    Returns ``(boxes, shapes)`` with boxes in `pixels` coordinates.
    """
    long_side = max(pixels.shape[:2])
    original_long = long_side * original_width / pixels.shape[1]
    target = min(
        settings.max_side * 2**settings.upsample,
        round(original_long * 2 ** (settings.upsample + 1)),
    )
    search = resize_long_side(pixels, target) if target > long_side else pixels
    enlarge = max(search.shape[:2]) / long_side
    found = face_ops.detect_faces(search, settings.detector, 0, settings.cnn_runtime)
    boxes = [face.scaled(1 / enlarge) if enlarge != 1 else face for face in found]
    to_original = original_width / pixels.shape[1]
    boxes = [
        b
        for b in boxes
        if b.width > 0 and b.height > 0 and b.width * to_original >= settings.min_face
    ]
    shapes = [face_ops.face_landmarks(pixels, box) for box in boxes]
    return boxes, shapes


def find_faces(pixels: np.ndarray, settings: DetectionSettings, original_width: int):
    """Detect, landmark and encode faces in `pixels`: ``(boxes, shapes, encodings)``."""
    boxes, shapes = locate_faces(pixels, settings, original_width)
    chips = face_ops.face_chips(pixels, shapes)
    return boxes, shapes, face_encoder(settings.encoder).encode(chips, settings.jitters)


@dataclass
class _Located:
    """A photo whose faces are found but not yet encoded."""

    result: PhotoResult
    chips: np.ndarray


def _locate_in_photo(path: str, settings: DetectionSettings) -> _Located | PhotoResult:
    size, mtime_ns = file_stamp(path) or (0, 0)
    result = PhotoResult(path=path, size_bytes=size, mtime_ns=mtime_ns, status="error")
    try:
        data = read_bytes(path)
        result.content_hash = content_hash(data)
        decoded = decode_photo(
            data, max_side=settings.max_side * 2**settings.upsample, max_pixels=settings.max_pixels
        )
    except PhotoError as exc:
        result.error = str(exc)
        return result
    info = decoded.info
    result.width, result.height, result.orientation = info.width, info.height, info.orientation
    result.taken_at, result.camera_make, result.camera_model = (
        info.taken_at,
        info.camera_make,
        info.camera_model,
    )
    try:
        boxes, shapes = locate_faces(decoded.pixels, settings, info.width)
        chips = face_ops.face_chips(decoded.pixels, shapes)
    except Exception as exc:  # a dlib failure on one photo must not stop the run
        result.error = f"face detection failed: {_first_line(exc)}"
        return result
    to_original = 1 / decoded.scale
    for box, shape in zip(boxes, shapes, strict=True):
        original = box.scaled(to_original)
        face = FaceRecord(
            box=(original.left, original.top, original.right, original.bottom),
            score=box.score,
            landmarks=face_ops.landmark_points(shape) * np.float32(to_original),
            encoding=np.empty(0, np.float32),  # filled in by the batch encoder
            crop_jpeg=crop_jpeg(decoded.pixels, (box.left, box.top, box.right, box.bottom)),
        )
        face.sharpness = quality.sharpness(face.crop_jpeg, face.box, (info.width, info.height))
        face.quality = quality.quality_issues(
            original.width, face.sharpness, quality.turn(face.landmarks)
        )
        result.faces.append(face)
    result.status = "ok" if result.faces else "no_faces"
    return _Located(result, chips)


def _first_line(exc: Exception) -> str:
    return str(exc).splitlines()[0] if str(exc) else repr(exc)


def analyse_photos(paths: list[str], settings: DetectionSettings) -> list[PhotoResult]:
    """`analyse_photo` for several photos, their faces encoded together in one batch."""
    located = [_locate_in_photo(path, settings) for path in paths]
    pending = [item for item in located if isinstance(item, _Located) and item.result.faces]
    if pending:
        encoder = face_encoder(settings.encoder)
        try:
            chips = np.concatenate([item.chips for item in pending])
            batches = [encoder.encode(chips, settings.jitters)]
        except Exception:  # find the photo that fails, keep the others
            batches = []
            for item in pending:
                try:
                    batches.append(encoder.encode(item.chips, settings.jitters))
                except Exception as exc:
                    item.result.status, item.result.faces = "error", []
                    item.result.error = f"face encoding failed: {_first_line(exc)}"
        encodings = iter(np.concatenate(batches) if batches else [])
        for item in pending:
            for face in item.result.faces:
                face.encoding = next(encodings)
    return [item.result if isinstance(item, _Located) else item for item in located]


def analyse_photo(path: str, settings: DetectionSettings) -> PhotoResult:
    """Everything facegraph stores about one photo file."""
    return analyse_photos([path], settings)[0]
