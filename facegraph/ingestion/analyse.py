"""One photo in, its faces out: read, decode, detect, landmark, encode, crop.

This is the work a worker process does for each photo. It touches no database; every failure
becomes ``status="error"`` with a one-line reason, never an exception.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

import numpy as np

from ..errors import PhotoError
from ..faces import attributes as face_attributes
from ..faces import detect as face_ops
from ..faces import quality, retinaface
from ..faces.encode import face_encoder, onnx_threads
from ..xmp.files import read_photo_regions, sidecar_stamp
from .decode import crop_jpeg, decode_photo, read_bytes, resize_long_side
from .moments import photo_hash
from .records import FaceRecord, PhotoResult
from .regions import face_in_region, place_regions
from .scan import content_hash, file_stamp
from .settings import DetectionSettings

log = logging.getLogger(__name__)

#: how many times a photo smaller than ``max_side`` is enlarged for RetinaFace's search
RETINAFACE_ENLARGE = 2.0


def search_side(settings: DetectionSettings, long_side: int, original_long: float) -> int:
    """The long side, in pixels, at which a photo is searched for faces (see
    `DetectionSettings`); `long_side` is that of the decoded pixels."""
    if settings.detector == "retinaface":
        return min(settings.max_side, round(original_long * RETINAFACE_ENLARGE))
    target = min(
        settings.max_side * 2**settings.upsample,
        round(original_long * 2 ** (settings.upsample + 1)),
    )
    return max(target, long_side)  # dlib's detectors search the decoded pixels at the least


def locate_faces(pixels: np.ndarray, settings: DetectionSettings, original_width: int):
    """Detect and landmark faces in `pixels` (an upright RGB photo, possibly reduced).

    Returns ``(boxes, shapes)`` with boxes in `pixels` coordinates; each box carries the
    detector's own landmarks where it has them.
    """
    # what ``auto`` runs here, once: the search's scale and the detector must agree
    settings = replace(settings, detector=face_ops.resolve_detector(settings.detector))
    long_side = max(pixels.shape[:2])
    original_long = long_side * original_width / pixels.shape[1]
    target = search_side(settings, long_side, original_long)
    if target == long_side:
        search = pixels
    elif settings.detector == "retinaface":
        search = retinaface.search_image(pixels, target)
    else:
        search = resize_long_side(pixels, target)
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


def face_records(
    pixels: np.ndarray, boxes, shapes, to_original: float, size: tuple[int, int]
) -> list[FaceRecord]:
    """The faces found in `pixels` as stored, in the original's coordinates (`to_original`:
    the original's `size`, width and height, over that of `pixels`), with crop, sharpness and
    quality; their encodings to come."""
    faces = []
    for box, shape in zip(boxes, shapes, strict=True):
        original = box.scaled(to_original)
        face = FaceRecord(
            box=(original.left, original.top, original.right, original.bottom),
            score=box.score,
            landmarks=face_ops.landmark_points(shape) * np.float32(to_original),
            encoding=np.empty(0, np.float32),  # filled in by the batch encoder
            crop_jpeg=crop_jpeg(pixels, (box.left, box.top, box.right, box.bottom)),
            detector_landmarks=original.landmarks,
        )
        face.sharpness = quality.sharpness(face.crop_jpeg, face.box, size)
        if face.detector_landmarks is None:
            turned, limit = quality.turn(face.landmarks), quality.MAX_TURN
        else:
            turned = quality.detector_turn(face.detector_landmarks)
            limit = quality.MAX_DETECTOR_TURN
        face.quality = quality.quality_issues(original.width, face.sharpness, turned, limit)
        faces.append(face)
    return faces


@dataclass
class _Located:
    """A photo whose faces are found but not yet encoded."""

    result: PhotoResult
    chips: np.ndarray
    #: with ``settings.attributes``: the faces fit for the age and gender models, their chips
    fit: list[int] | None = None
    age_chips: np.ndarray | None = None
    gender_chips: np.ndarray | None = None


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
    result.notes = decoded.notes
    result.photo_hash = photo_hash(decoded.pixels)
    result.width, result.height, result.orientation = info.width, info.height, info.orientation
    result.taken_at, result.camera_make, result.camera_model = (
        info.taken_at,
        info.camera_make,
        info.camera_model,
    )
    try:
        boxes, shapes = locate_faces(decoded.pixels, settings, info.width)
        if settings.regions:
            made = _read_regions(result, data, decoded.pixels, boxes)
            if face_ops.resolve_detector(settings.detector) == "retinaface":
                made = [face_in_region(decoded.pixels, box) for box in made]
            boxes += made
            shapes += [face_ops.face_landmarks(decoded.pixels, box) for box in made]
        chips = face_ops.face_chips(decoded.pixels, shapes)
    except Exception as exc:  # a dlib failure on one photo must not stop the run
        result.error = f"face detection failed: {_first_line(exc)}"
        return result
    size = (info.width, info.height)
    result.faces = face_records(decoded.pixels, boxes, shapes, 1 / decoded.scale, size)
    result.status = "ok" if result.faces else "no_faces"
    located = _Located(result, chips)
    if settings.attributes:
        _cut_attribute_chips(located, decoded.pixels, boxes, shapes)
    return located


def _read_regions(result: PhotoResult, data: bytes, pixels: np.ndarray, boxes) -> list:
    """The photo's named regions into `result`; the boxes of the faces to make from them."""
    assert result.width is not None and result.height is not None
    read = read_photo_regions(result.path, data, result.orientation, (result.width, result.height))
    result.sidecars = sidecar_stamp(result.path)
    result.region_source = read.source
    result.notes += read.notes
    height, width = pixels.shape[:2]
    result.regions, made = place_regions(read.regions, boxes, width, height)
    return made


def _cut_attribute_chips(located: _Located, pixels: np.ndarray, boxes, shapes) -> None:
    """Chips for the age and gender models, for the faces fit for them; the others are marked
    with the reason."""
    located.fit = []
    for index, (face, box) in enumerate(zip(located.result.faces, boxes, strict=True)):
        face.attributes_skipped = face_attributes.why_no_estimate(box.width, face.sharpness)
        if face.attributes_skipped is None:
            located.fit.append(index)
    located.age_chips, located.gender_chips = face_attributes.attribute_chips(
        pixels, [shapes[i] for i in located.fit]
    )


def _estimate_attributes(pending: list[_Located]) -> None:
    """Age and gender for the fit faces of `pending`, in one batch. Should the models fail,
    the faces get no row, and `facegraph attributes` estimates them later."""
    items = [item for item in pending if item.fit]
    if not items:
        return
    try:
        estimates = face_attributes.attribute_models(onnx_threads()).estimate(
            np.concatenate([item.age_chips for item in items]),
            np.concatenate([item.gender_chips for item in items]),
        )
    except Exception as exc:  # the faces are stored without; a later run fills them in
        log.warning("age and gender could not be estimated: %s", _first_line(exc))
        for item in pending:
            for face in item.result.faces:
                face.attributes_skipped = None
        return
    found = iter(estimates)
    for item in items:
        for index in item.fit:
            item.result.faces[index].attributes = next(found)


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
        if settings.attributes:
            _estimate_attributes([item for item in pending if item.result.status == "ok"])
    return [item.result if isinstance(item, _Located) else item for item in located]


def analyse_photo(path: str, settings: DetectionSettings) -> PhotoResult:
    """Everything facegraph stores about one photo file."""
    return analyse_photos([path], settings)[0]
