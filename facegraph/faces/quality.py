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
    first, second = points[0:2].mean(axis=0), points[2:4].mean(axis=0)
    axis = second - first
    length = float(np.linalg.norm(axis))
    if length == 0:
        return 0.0
    return float(abs(np.dot(points[4] - (first + second) / 2, axis)) / length**2)


def quality_issues(width: float, sharpness_value: float | None, turned: float | None) -> str | None:
    """Why a face is not good enough to start a person ("small", "blurred", "turned", joined
    by commas), or None."""
    issues = []
    if width < MIN_WIDTH:
        issues.append("small")
    if sharpness_value is not None and sharpness_value < MIN_SHARPNESS:
        issues.append("blurred")
    if turned is not None and turned > MAX_TURN:
        issues.append("turned")
    return ",".join(issues) or None
