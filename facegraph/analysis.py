"""One photo in, its faces out: read, decode, detect, landmark, encode, crop.

This is the work a worker process does for each photo. It touches no database; every failure
becomes ``status="error"`` with a one-line reason, never an exception.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field, replace
from datetime import datetime

import numpy as np

from . import faces as face_ops
from .encoders import EncoderChoice, face_encoder, resolve_encoder
from .photos import (
    DEFAULT_MAX_PIXELS,
    PhotoError,
    crop_jpeg,
    decode_photo,
    read_bytes,
    resize_long_side,
)


@dataclass(frozen=True)
class DetectionSettings:
    """How faces are found.

    Every photo is searched at the scale the old tool used: resized so its long side is
    ``max_side`` and enlarged ``2**upsample`` times (2160 px with the defaults, where HOG finds
    faces down to 80 px, i.e. 40 px at 1080 px). Photos larger than that are decoded straight to
    that size (more real detail than dlib's own upsampling, and JPEGs decode faster reduced);
    small photos are enlarged for the search at most ``2**(upsample + 1)`` times, so faces of
    about 20 original pixels are the smallest found. Landmarks and encodings are always computed
    on pixels that were never enlarged.
    """

    detector: face_ops.Detector = "hog"
    upsample: int = 1
    max_side: int = 1080
    #: faces narrower than this many pixels of the original photo are dropped
    min_face: int = 0
    jitters: int = 1
    max_pixels: int = DEFAULT_MAX_PIXELS
    #: ``auto`` (ONNX Runtime when it can run, else dlib), ``onnx`` or ``dlib``
    encoder: EncoderChoice = "auto"
    #: where ``detector="cnn"`` runs, chosen as `encoder` is
    cnn_runtime: face_ops.Runtime = "auto"

    def describe(self) -> str:
        detector = self.detector
        if detector == "cnn":
            detector += f"({self.cnn_runtime})"
        return (
            f"{detector} upsample={self.upsample} max_side={self.max_side} "
            f"min_face={self.min_face} jitters={self.jitters} encoder={self.encoder}"
        )

    def resolved(self) -> DetectionSettings:
        """These settings with each ``auto`` replaced by the backend that runs here."""
        encoder = resolve_encoder(self.encoder)
        runtime = self.cnn_runtime
        if self.detector == "cnn":
            runtime = face_ops.cnn_detector_runtime(runtime)
        return replace(self, encoder=encoder, cnn_runtime=runtime)  # type: ignore[arg-type]


@dataclass
class FaceRecord:
    """A face in the coordinates of the upright original photo."""

    box: tuple[int, int, int, int]  # left, top, right, bottom
    score: float | None
    landmarks: np.ndarray  # (5, 2) float32, x/y
    encoding: np.ndarray  # (128,) float32
    crop_jpeg: bytes


@dataclass
class PhotoResult:
    path: str
    size_bytes: int
    mtime_ns: int
    status: str  # "ok", "no_faces" or "error"
    error: str | None = None
    content_hash: str | None = None
    width: int | None = None
    height: int | None = None
    orientation: int | None = None
    taken_at: datetime | None = None
    camera_make: str | None = None
    camera_model: str | None = None
    faces: list[FaceRecord] = field(default_factory=list)


def content_hash(data: bytes) -> str:
    """Fingerprint of a file's bytes, used to recognise moved and renamed photos."""
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def hash_file(path: str) -> str:
    digest = hashlib.blake2b(digest_size=16)
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


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


def file_stamp(path: str) -> tuple[int, int] | None:
    """``(size, mtime_ns)`` of the file, or of the link itself when it is broken."""
    for stat_function in (os.stat, os.lstat):
        try:
            stat = stat_function(path)
            return stat.st_size, stat.st_mtime_ns
        except OSError:
            continue
    return None


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
        result.faces.append(
            FaceRecord(
                box=(original.left, original.top, original.right, original.bottom),
                score=box.score,
                landmarks=face_ops.landmark_points(shape) * np.float32(to_original),
                encoding=np.empty(0, np.float32),  # filled in by the batch encoder
                crop_jpeg=crop_jpeg(decoded.pixels, (box.left, box.top, box.right, box.bottom)),
            )
        )
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
