"""RetinaFace-MobileNet0.25 on ONNX Runtime: faces in any pose, with five landmarks.

The search, for one RGB image:

1. **two scales**: the image as given (its smallest anchors, 16 px at stride 8, reach faces of
   about 16 px) and, for images over `COARSE_FROM` px, a third of it, so that a face filling the
   photo (beyond the largest anchor, 512 px) is found too; the two are merged by suppression
   (a box overlapping a better one, or lying mostly inside it, is that face);
2. **a second look**: every candidate is cut out again with context (a square twice its size,
   kept inside the image) at 128 px, where the face is about 64 px, RetinaFace's best size, and
   detected again. Faces score high both times; what only looks like a face at one scale and
   one place (dogs, gravel, a motorcycle's lamp, a hand in motion) scores low the second time.
   On the shared group photos, lfw-dev and scikit-image's pictures every real face scored
   >= 0.80 the second time and every false one <= 0.65, hence `RECHECK_THRESHOLD`;
3. **a dlib box**: dlib's 5-point shape predictor (and so the encoding) was made for dlib's
   square HOG boxes, which sit lower and tighter than RetinaFace's. The box handed on is placed
   from RetinaFace's landmarks (eye and mouth midpoints), calibrated on 666 faces both
   detectors found (fitted on one half, measured on the other): the encodings then lie a
   median 0.043 from those of the HOG box (0.080 with RetinaFace's own box).

Arrays in, arrays out; the model ships inside facegraph (``models/``), checked by its SHA-256.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np

from ..errors import ModelError

MODEL_FILE = "retinaface_mobilenet0.25.onnx"
MODEL_SHA256 = "b7a7acab55e104dce6f32cdfff929bd83946da5cd869b9e2e9bdffafd1b7e4a5"
#: recorded with every photo analysed by this detector (model and search procedure)
VERSION = f"retinaface-mobilenet0.25:{MODEL_SHA256[:12]}:search-v1"

#: candidates scoring below this in the first look are dropped (the model's usual cut)
SCORE_THRESHOLD = 0.5
#: and those scoring below this at the second look
RECHECK_THRESHOLD = 0.7
#: candidates narrower than the smallest anchor are dropped
MIN_WIDTH = 16
#: images with a long side of at least this many px are also searched at a third of their size
COARSE_FROM = 720
NMS_IOU = 0.4
#: a box lying this much inside a better one is part of that face (as dlib's MMOD suppresses)
INSIDE = 0.7
RECHECK_SIZE = 128
RECHECK_CONTEXT = 2.0

_MEAN_BGR = np.array([104.0, 117.0, 123.0], np.float32)
_STRIDES = ((8, (16, 32)), (16, (64, 128)), (32, (256, 512)))
_VARIANCES = (0.1, 0.2)

#: the HOG-like box from the landmarks: centre this many eye-to-mouth distances below the eye
#: midpoint (and this many across, along the image's x), side this many of them
LANDMARK_CENTRE = (0.006, 0.495)
LANDMARK_SIDE = 2.276
#: when the landmarks collapse: the same from RetinaFace's box (offset of the centre in box
#: sizes, then width and height in box sizes)
BOX_MAP = (0.007, 0.063, 1.100, 0.801)


@dataclass(frozen=True)
class Found:
    """One face: RetinaFace's box, the dlib box placed from it, score and landmarks, all in
    the pixels of the image searched. ``landmarks`` are RetinaFace's five points (left eye,
    right eye, nose tip, left and right mouth corner, as seen in the image), ``(5, 2)``."""

    box: tuple[float, float, float, float]
    dlib_box: tuple[float, float, float, float]
    score: float
    landmarks: np.ndarray


def load_model() -> bytes:
    """The model's bytes, checked against `MODEL_SHA256`."""
    try:
        data = resources.files(__package__).joinpath("models", MODEL_FILE).read_bytes()
    except OSError as exc:
        raise ModelError(
            f"the face detector model {MODEL_FILE} is missing from facegraph's installation"
            f" ({exc.strerror}); reinstall facegraph"
        ) from exc
    if hashlib.sha256(data).hexdigest() != MODEL_SHA256:
        raise ModelError(
            f"the face detector model {MODEL_FILE} is damaged (its SHA-256 is not the one"
            " facegraph shipped); reinstall facegraph"
        )
    return data


class RetinaFaceDetector:
    """The model in one ONNX Runtime session; `detect` runs the whole search."""

    def __init__(self, threads: int = 0) -> None:
        from .model_cache import onnx_session

        self.session = onnx_session(load_model(), threads)

    def detect(
        self,
        image: np.ndarray,
        threshold: float = SCORE_THRESHOLD,
        recheck: float = RECHECK_THRESHOLD,
    ) -> list[Found]:
        """Faces in an RGB (or grey) uint8 image, best first. `threshold` and `recheck` are
        the scores a face needs at the first look and the second; lower them only where a
        person says there is a face (a named region)."""
        image = _rgb(image)
        height, width = image.shape[:2]
        boxes, scores, points = self._look(image[None], threshold)[0]
        if max(height, width) >= COARSE_FROM:
            small = _resize(image, round(width / 3), round(height / 3))
            factor = np.array([width / small.shape[1], height / small.shape[0]], np.float32)
            more_boxes, more_scores, more_points = self._look(small[None], threshold)[0]
            boxes = np.concatenate([boxes, more_boxes * np.tile(factor, 2)])
            scores = np.concatenate([scores, more_scores])
            points = np.concatenate([points, more_points * factor])
        keep = _suppress(boxes, scores, NMS_IOU, INSIDE)
        boxes, scores, points = boxes[keep], scores[keep], points[keep]
        wide = boxes[:, 2] - boxes[:, 0] >= MIN_WIDTH
        boxes, scores, points = boxes[wide], scores[wide], points[wide]
        if len(boxes) == 0:
            return []
        second = self._recheck(image, boxes)
        found = [
            Found(
                tuple(float(v) for v in box),
                _dlib_box(box, landmarks),
                float(min(score, again)),
                landmarks.astype(np.float32),
            )
            for box, score, landmarks, again in zip(boxes, scores, points, second, strict=True)
            if again >= recheck
        ]
        return sorted(found, key=lambda face: -face.score)

    def _look(self, batch: np.ndarray, threshold: float = SCORE_THRESHOLD):
        """One pass over images of one size: per image ``(boxes, scores, landmarks)``."""
        count, height, width = batch.shape[:3]
        padded_h, padded_w = math.ceil(height / 32) * 32, math.ceil(width / 32) * 32
        # BGR minus the training mean, channels first; the padding is the mean (zero). One
        # channel at a time: 7x faster than a transposed copy of the whole batch
        tensor = np.zeros((count, 3, padded_h, padded_w), np.float32)
        for channel in range(3):
            plane = tensor[:, channel, :height, :width]
            plane[...] = batch[..., 2 - channel]
            plane -= _MEAN_BGR[channel]
        loc, conf, marks = self.session.run(None, {"input": tensor})
        anchors = _anchors(padded_h, padded_w)
        if loc.shape[1] != len(anchors):
            raise ModelError("the face detector's output does not match its anchors")
        results = []
        for index in range(count):
            scores = conf[index, :, 1]
            hit = scores > threshold
            prior, offsets, lm = anchors[hit], loc[index, hit], marks[index, hit]
            centre = prior[:, :2] + offsets[:, :2] * _VARIANCES[0] * prior[:, 2:]
            size = prior[:, 2:] * np.exp(offsets[:, 2:] * _VARIANCES[1])
            boxes = np.concatenate([centre - size / 2, centre + size / 2], axis=1)
            points = prior[:, None, :2] + lm.reshape(-1, 5, 2) * _VARIANCES[0] * prior[:, None, 2:]
            scores = scores[hit]
            keep = _suppress(boxes, scores, NMS_IOU)
            results.append((boxes[keep], scores[keep], points[keep]))
        return results

    def _recheck(self, image: np.ndarray, boxes: np.ndarray) -> list[float]:
        """Each candidate's score when cut out again at RetinaFace's best size."""
        crops, expected = [], []
        for box in boxes:
            crop, where = _context_crop(image, box)
            crops.append(crop)
            expected.append(where)
        scores = []
        for start in range(0, len(crops), 64):
            looks = self._look(np.stack(crops[start : start + 64]), threshold=0.05)
            for (found, found_scores, _), where in zip(
                looks, expected[start : start + 64], strict=True
            ):
                overlap = _iou(found, where) if len(found) else np.zeros(0)
                match = found_scores[overlap > 0.3]
                scores.append(float(match.max()) if len(match) else 0.0)
        return scores


@cache
def retinaface_detector(threads: int = 0) -> RetinaFaceDetector:
    """The detector, built once per process."""
    return RetinaFaceDetector(threads)


def _rgb(image: np.ndarray) -> np.ndarray:
    if image.ndim == 2:
        return np.repeat(image[..., None], 3, axis=2)
    return image[..., :3]


def _resize(image: np.ndarray, width: int, height: int) -> np.ndarray:
    """`image` at ``width`` x ``height``: an area average when smaller (fast, no aliasing)."""
    from PIL import Image

    smaller = width <= image.shape[1] and height <= image.shape[0]
    method = Image.Resampling.BOX if smaller else Image.Resampling.BILINEAR
    return np.asarray(Image.fromarray(image).resize((max(width, 1), max(height, 1)), method))


def search_image(image: np.ndarray, long_side: int) -> np.ndarray:
    """`image` scaled so its long side is `long_side`, as this detector wants it."""
    height, width = image.shape[:2]
    if max(height, width) == long_side:
        return image
    factor = long_side / max(height, width)
    return _resize(image, round(width * factor), round(height * factor))


@cache
def _anchors(height: int, width: int) -> np.ndarray:
    """Pytorch_Retinaface's priors, in pixels: per cell of each stride, one per anchor size."""
    rows = []
    for stride, sizes in _STRIDES:
        ny, nx = math.ceil(height / stride), math.ceil(width / stride)
        yy, xx = np.mgrid[0:ny, 0:nx]
        cx = np.repeat((xx.ravel() + 0.5) * stride, len(sizes))
        cy = np.repeat((yy.ravel() + 0.5) * stride, len(sizes))
        side = np.tile(np.asarray(sizes, np.float32), nx * ny)
        rows.append(np.stack([cx, cy, side, side], axis=1))
    anchors = np.concatenate(rows).astype(np.float32)
    anchors.setflags(write=False)
    return anchors


def _intersection(boxes: np.ndarray, box) -> np.ndarray:
    """The area each of `boxes` shares with `box`."""
    width = np.minimum(boxes[:, 2], box[2]) - np.maximum(boxes[:, 0], box[0])
    height = np.minimum(boxes[:, 3], box[3]) - np.maximum(boxes[:, 1], box[1])
    return np.clip(width, 0, None) * np.clip(height, 0, None)


def _areas(boxes: np.ndarray) -> np.ndarray:
    return (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])


def _iou(boxes: np.ndarray, box) -> np.ndarray:
    inter = _intersection(boxes, box)
    union = _areas(boxes) + (box[2] - box[0]) * (box[3] - box[1]) - inter
    return inter / np.maximum(union, 1e-9)


def _suppress(
    boxes: np.ndarray, scores: np.ndarray, threshold: float, inside: float = 1.0
) -> np.ndarray:
    """Indices of the best boxes that overlap no better one by more than `threshold` IoU, nor
    lie inside one by more than `inside` of their own area."""
    order = np.argsort(-scores, kind="stable")
    keep = []
    while order.size:
        best = order[0]
        keep.append(best)
        rest = order[1:]
        apart = _iou(boxes[rest], boxes[best]) <= threshold
        if inside < 1.0:
            apart &= _share_inside(boxes[rest], boxes[best]) <= inside
        order = rest[apart]
    return np.asarray(keep, dtype=np.int64)


def _share_inside(boxes: np.ndarray, box) -> np.ndarray:
    """How much of each of `boxes` lies inside `box`."""
    return _intersection(boxes, box) / np.maximum(_areas(boxes), 1e-9)


def _context_crop(image: np.ndarray, box: np.ndarray):
    """A `RECHECK_SIZE` square around `box`, `RECHECK_CONTEXT` times its size and moved inside
    the image where it can be (a face cut by the frame keeps the frame), and where the box lies
    in it."""
    from PIL import Image

    height, width = image.shape[:2]
    side = max(box[2] - box[0], box[3] - box[1]) * RECHECK_CONTEXT
    left = (box[0] + box[2] - side) / 2
    top = (box[1] + box[3] - side) / 2
    left = min(max(left, 0.0), width - side) if side <= width else (width - side) / 2
    top = min(max(top, 0.0), height - side) if side <= height else (height - side) / 2
    crop = Image.fromarray(image).transform(
        (RECHECK_SIZE, RECHECK_SIZE),
        Image.Transform.EXTENT,
        (left, top, left + side, top + side),
        Image.Resampling.BILINEAR,
    )
    scale = RECHECK_SIZE / side
    where = ((box[0] - left) * scale, (box[1] - top) * scale)
    where += ((box[2] - left) * scale, (box[3] - top) * scale)
    return np.asarray(crop), where


def _dlib_box(box: np.ndarray, landmarks: np.ndarray) -> tuple[float, float, float, float]:
    """The square box dlib's HOG detector would have drawn for this face (see the module's
    docstring), from the eye and mouth midpoints; from RetinaFace's box if they collapse."""
    eyes = (landmarks[0] + landmarks[1]) / 2
    mouth = (landmarks[3] + landmarks[4]) / 2
    span = float(np.linalg.norm(mouth - eyes))
    if span >= 2.0:
        cx = eyes[0] + LANDMARK_CENTRE[0] * span
        cy = eyes[1] + LANDMARK_CENTRE[1] * span
        half = LANDMARK_SIDE * span / 2
        return (float(cx - half), float(cy - half), float(cx + half), float(cy + half))
    width, height = box[2] - box[0], box[3] - box[1]
    cx = (box[0] + box[2]) / 2 + BOX_MAP[0] * width
    cy = (box[1] + box[3]) / 2 + BOX_MAP[1] * height
    half_w, half_h = BOX_MAP[2] * width / 2, BOX_MAP[3] * height / 2
    return (float(cx - half_w), float(cy - half_h), float(cx + half_w), float(cy + half_h))
