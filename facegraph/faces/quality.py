"""How usable a face is for telling who it is: size, sharpness, how far it is turned.

Background faces (small, out of focus, in profile) give encodings that land near strangers;
clustering leaves them out and lets them join a person only when the match is unambiguous.
The limits were chosen on ../shared/lfw-dev, where the labelled faces (the person each photo
is of) are sharp portraits and other faces are mostly background: they flag about 40 % of the
background faces and 0.6 % of the portraits.
"""

from __future__ import annotations

import io

import numpy as np

#: faces narrower than this (pixels of the original photo) are "small"
MIN_WIDTH = 40
#: below this variance of the Laplacian (64x64 grey face, 8-bit) a face is "blurred"
MIN_SHARPNESS = 30.0
#: the nose this far off the middle of the eyes (in eye distances) is "turned"
MAX_TURN = 0.4
#: the same from a detector's points (`detector_turn`): the lowest limit of the plateau of
#: identity accuracy on the tune half of lfw-dev (0.5-1.0 scored alike; 0.4 gated three-quarter
#: faces that cluster well and cost 0.015 pairwise recall); faces in profile score 1 and more
MAX_DETECTOR_TURN = 0.6
#: the crop's margin around the face box on each side, as a share of the box (ingest's crop)
CROP_MARGIN = 0.4


def sharpness(
    crop_jpeg: bytes, box: tuple[int, int, int, int], photo_size: tuple[int, int]
) -> float:
    """Variance of the Laplacian of the face at 64x64 grey. `crop_jpeg` is ingest's crop of the
    face `box` (left, top, right, bottom) with its margin, in a photo of `photo_size` (width,
    height); the face is found in it the way the crop was cut."""
    from PIL import Image

    image = Image.open(io.BytesIO(crop_jpeg)).convert("L")
    left, top, right, bottom = box
    grow_x, grow_y = CROP_MARGIN * (right - left), CROP_MARGIN * (bottom - top)
    x0, y0 = max(int(left - grow_x), 0), max(int(top - grow_y), 0)
    x1, y1 = min(int(right + grow_x), photo_size[0]), min(int(bottom + grow_y), photo_size[1])
    scale_x, scale_y = image.width / max(x1 - x0, 1), image.height / max(y1 - y0, 1)
    face = (
        (left - x0) * scale_x,
        (top - y0) * scale_y,
        (right - x0) * scale_x,
        (bottom - y0) * scale_y,
    )
    pixels = np.asarray(image.resize((64, 64), Image.BILINEAR, box=face), dtype=np.float32)
    laplacian = (
        4 * pixels[1:-1, 1:-1]
        - pixels[:-2, 1:-1]
        - pixels[2:, 1:-1]
        - pixels[1:-1, :-2]
        - pixels[1:-1, 2:]
    )
    return float(laplacian.var())


def turn(landmarks: np.ndarray) -> float:
    """How far the nose sits from the middle of the eyes along the line between them, in eye
    distances (0 = frontal). `landmarks`: dlib's 5 points (two per eye, then the nose)."""
    points = np.asarray(landmarks, dtype=np.float64).reshape(5, 2)
    return _nose_offset(points[0:2].mean(axis=0), points[2:4].mean(axis=0), points[4])


def detector_turn(landmarks: np.ndarray) -> float:
    """`turn` from a detector's five points (eye centres, nose tip, mouth corners: RetinaFace).

    Preferred where a face has them: dlib's shape predictor was trained on frontal faces and on a
    face in profile puts the points where a frontal face would have them (a child in profile:
    0.10 from dlib's points, 1.48 from RetinaFace's), while RetinaFace was trained on faces in
    every pose. Its limit is `MAX_DETECTOR_TURN`."""
    points = np.asarray(landmarks, dtype=np.float64).reshape(5, 2)
    return _nose_offset(points[0], points[1], points[2])


def _nose_offset(first_eye: np.ndarray, second_eye: np.ndarray, nose: np.ndarray) -> float:
    axis = second_eye - first_eye
    length = float(np.linalg.norm(axis))
    if length == 0:
        return 0.0
    return float(abs(np.dot(nose - (first_eye + second_eye) / 2, axis)) / length**2)


def quality_issues(
    width: float,
    sharpness_value: float | None,
    turned: float | None,
    turn_limit: float = MAX_TURN,
) -> str | None:
    """Why a face is not good enough to start a person ("small", "blurred", "turned", joined
    by commas), or None. `turn_limit` is `MAX_TURN` for `turn`, `MAX_DETECTOR_TURN` for
    `detector_turn`."""
    issues = []
    if width < MIN_WIDTH:
        issues.append("small")
    if sharpness_value is not None and sharpness_value < MIN_SHARPNESS:
        issues.append("blurred")
    if turned is not None and turned > turn_limit:
        issues.append("turned")
    return ",".join(issues) or None
