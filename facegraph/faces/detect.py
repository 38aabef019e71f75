"""Face detection, landmarks and 128-d encodings with dlib's models.

These are the calls the `face_recognition` library makes (``face_locations``, the 5-point
``face_landmarks`` model and ``face_encodings``), made on dlib directly so that neither the
`face_recognition` package nor its `pkg_resources`-based model package is needed. With the dlib
encoder the encodings are identical to ``face_recognition.face_encodings``; the ONNX encoder
(`encode`) runs the same network and weights and agrees with it to about 1e-6.

No database, no files: arrays in, arrays out. Models load on first use, once per process.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import cache

import dlib
import face_recognition_models
import numpy as np

from .encode import CHIP_PADDING, CHIP_SIZE, face_encoder, onnx_threads
from .mmod import MmodDetector, mmod_detector
from .options import DETECTORS, Detector, EncoderChoice, Runtime
from .retinaface import RetinaFaceDetector, retinaface_detector

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DetectedFace:
    """A face box in the pixel coordinates of the image it was found in.

    The box is dlib's kind (HOG's, or one placed as HOG would for RetinaFace); ``landmarks``
    are the detector's own five points where it has them (RetinaFace: eyes, nose tip, mouth
    corners), ``(5, 2)`` float32.
    """

    left: int
    top: int
    right: int
    bottom: int
    score: float | None = None
    landmarks: np.ndarray | None = field(default=None, compare=False)

    @property
    def width(self) -> int:
        return self.right - self.left

    @property
    def height(self) -> int:
        return self.bottom - self.top

    def scaled(self, factor: float) -> DetectedFace:
        """The same box in an image `factor` times as large."""
        return DetectedFace(
            round(self.left * factor),
            round(self.top * factor),
            round(self.right * factor),
            round(self.bottom * factor),
            self.score,
            None if self.landmarks is None else self.landmarks * np.float32(factor),
        )

    def css(self) -> tuple[int, int, int, int]:
        """``(top, right, bottom, left)``, the order `face_recognition` uses."""
        return (self.top, self.right, self.bottom, self.left)


@cache
def _hog_detector() -> dlib.fhog_object_detector:
    return dlib.get_frontal_face_detector()


@cache
def _cnn_detector() -> dlib.cnn_face_detection_model_v1:
    return dlib.cnn_face_detection_model_v1(
        face_recognition_models.cnn_face_detector_model_location()
    )


@cache
def _shape_predictor() -> dlib.shape_predictor:
    return dlib.shape_predictor(face_recognition_models.pose_predictor_five_point_model_location())


@cache
def _onnx_cnn_detector() -> MmodDetector | None:
    try:
        return mmod_detector(onnx_threads())
    except Exception as exc:  # the dlib path always works
        log.warning("ONNX CNN detector unavailable (%s); using dlib's", exc)
        return None


@cache
def _retinaface() -> RetinaFaceDetector | None:
    try:
        return retinaface_detector(onnx_threads())
    except Exception as exc:  # HOG always works
        log.warning("the RetinaFace detector cannot run here (%s); using dlib's HOG", exc)
        return None


def resolve_detector(detector: Detector) -> str:
    """The detector `detector` runs here: ``auto`` is ``retinaface`` when it loads, else
    ``hog``; ``retinaface`` raises when it cannot run."""
    if detector == "retinaface":
        retinaface_detector(onnx_threads())
        return "retinaface"
    if detector == "auto":
        return "retinaface" if _retinaface() is not None else "hog"
    if detector not in DETECTORS:
        raise ValueError(f"unknown detector {detector!r}; choose one of {', '.join(DETECTORS)}")
    return detector


def cnn_detector_runtime(runtime: Runtime = "auto") -> str:
    """Where the CNN detector runs for `runtime`: ``onnx`` or ``dlib``."""
    if runtime == "dlib":
        return "dlib"
    if runtime == "onnx":
        mmod_detector(onnx_threads())  # raises when it cannot run
        return "onnx"
    return "onnx" if _onnx_cnn_detector() is not None else "dlib"


def load_models(
    detector: Detector = "auto", encoder: EncoderChoice = "auto", cnn_runtime: Runtime = "auto"
) -> None:
    """Load the models now rather than on first use (worker start-up)."""
    detector = resolve_detector(detector)  # type: ignore[assignment]
    if detector == "cnn":
        if cnn_detector_runtime(cnn_runtime) == "dlib":
            _cnn_detector()
    elif detector == "retinaface":
        retinaface_detector(onnx_threads())
    else:
        _hog_detector()
    _shape_predictor()
    face_encoder(encoder)


def _clip(face: DetectedFace, height: int, width: int) -> DetectedFace:
    # face_recognition's _trim_css_to_bounds: boxes may stick out of the image
    return DetectedFace(
        max(face.left, 0),
        max(face.top, 0),
        min(face.right, width),
        min(face.bottom, height),
        face.score,
        face.landmarks,
    )


def detect_faces(
    image: np.ndarray,
    detector: Detector = "auto",
    upsample: int = 0,
    cnn_runtime: Runtime = "auto",
) -> list[DetectedFace]:
    """Find faces in an RGB or grayscale uint8 image.

    ``auto`` (RetinaFace, see `retinaface`) finds faces of about 16 px and more in any pose
    and gives dlib-style boxes with its own landmarks. ``hog`` and ``cnn`` are dlib's
    detectors; ``upsample`` is their ``number_of_times_to_upsample`` (RetinaFace takes the
    image as it is: enlarge it instead). Boxes are clipped to the image, as
    `face_recognition.face_locations` does; ``score`` is the detector's confidence. The CNN runs
    on ONNX Runtime (`mmod`, the same boxes) unless ``cnn_runtime="dlib"``; the ONNX path takes
    images as they are (``upsample=0``), so with ``auto`` an upsampled search runs on dlib.
    """
    height, width = image.shape[:2]
    found: list[DetectedFace] = []
    detector = resolve_detector(detector)  # type: ignore[assignment]
    if detector == "retinaface":
        for face in retinaface_detector(onnx_threads()).detect(image):
            left, top, right, bottom = (round(v) for v in face.dlib_box)
            found.append(DetectedFace(left, top, right, bottom, face.score, face.landmarks))
    elif detector == "hog":
        rects, scores, _ = _hog_detector().run(image, upsample, 0.0)
        for rect, score in zip(rects, scores, strict=True):
            found.append(DetectedFace(rect.left(), rect.top(), rect.right(), rect.bottom(), score))
    elif detector == "cnn" and upsample == 0 and cnn_detector_runtime(cnn_runtime) == "onnx":
        for found_face in mmod_detector(onnx_threads()).detect(image):
            rect = found_face.rect
            found.append(
                DetectedFace(rect.left, rect.top, rect.right, rect.bottom, found_face.score)
            )
    elif detector == "cnn":
        if cnn_runtime == "onnx":
            raise ValueError("the ONNX CNN detector takes upsample=0; enlarge the image instead")
        for det in _cnn_detector()(image, upsample):
            rect = det.rect
            found.append(
                DetectedFace(rect.left(), rect.top(), rect.right(), rect.bottom(), det.confidence)
            )
    else:
        raise ValueError(f"unknown detector {detector!r}; choose one of {', '.join(DETECTORS)}")
    return [_clip(face, height, width) for face in found]


def face_landmarks(image: np.ndarray, face: DetectedFace) -> dlib.full_object_detection:
    """dlib's 5-point shape for a face box (the model face_recognition calls "small")."""
    rect = dlib.rectangle(face.left, face.top, face.right, face.bottom)
    return _shape_predictor()(image, rect)


def landmark_points(shape: dlib.full_object_detection) -> np.ndarray:
    """The shape's points as a ``(n, 2)`` float array of ``(x, y)``."""
    return np.array([(p.x, p.y) for p in shape.parts()], dtype=np.float32)


def face_chips(image: np.ndarray, shapes: list[dlib.full_object_detection]) -> np.ndarray:
    """The aligned 150x150 chips dlib's encoder reads: ``(n, 150, 150, 3)`` uint8."""
    if not shapes:
        return np.empty((0, CHIP_SIZE, CHIP_SIZE, 3), dtype=np.uint8)
    detections = dlib.full_object_detections()
    detections.extend(shapes)
    chips = dlib.get_face_chips(np.ascontiguousarray(image), detections, CHIP_SIZE, CHIP_PADDING)
    return np.stack(chips).astype(np.uint8, copy=False)


def encode_faces(
    image: np.ndarray,
    shapes: list[dlib.full_object_detection],
    jitters: int = 1,
    encoder: EncoderChoice = "auto",
) -> np.ndarray:
    """128-d encodings, one row per shape, as ``face_recognition.face_encodings`` computes them."""
    return face_encoder(encoder).encode(face_chips(image, shapes), jitters)
