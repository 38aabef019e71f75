"""Shot changes on every decoded frame of a video, not only on the frames sampled, so a shot
shorter than the sampling step is sampled too. Cheap: each frame's brightness as decoded (its
luma plane, unconverted, in an 8x8 grid of cells).

A frame unlike the one before starts a new shot (a *cut*) when the frame after it is like it;
a single frame unlike both its neighbours while they are alike is a *flash* (a camera's flash,
a glitch): no shot change, and never sampled.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np

#: a frame differs from another when most of it changed: the median of its cells' change
#: (0-255; brightness here, colour for the sampled frames in `video.is_cut`) is above this
CHANGE = 20.0
#: decoded formats whose first plane is 8-bit luma (others: only sampled frames are compared)
LUMA_FORMATS = frozenset(
    {"yuv420p", "yuvj420p", "yuv422p", "yuvj422p", "yuv444p", "yuvj444p", "nv12", "nv21", "gray"}
)


def luma_cells(frame: Any) -> np.ndarray | None:
    """The mean brightness of each cell of an 8x8 grid over a decoded PyAV frame, read from
    its luma plane as it is (about 64 x 64 points of it); None for other formats."""
    if frame.format.name not in LUMA_FORMATS:
        return None
    plane = frame.planes[0]
    rows = np.frombuffer(plane, np.uint8).reshape(-1, plane.line_size)
    luma = rows[: plane.height, : plane.width]
    points = luma[:: max(1, plane.height // 64), :: max(1, plane.width // 64)]
    height, width = points.shape
    tops = np.linspace(0, height, 9).astype(int)[:-1]
    lefts = np.linspace(0, width, 9).astype(int)[:-1]
    sums = np.add.reduceat(np.add.reduceat(points.astype(np.float32), tops, 0), lefts, 1)
    counts = np.outer(np.diff(np.r_[tops, height]), np.diff(np.r_[lefts, width]))
    return sums / np.maximum(counts, 1)


def differs(a: np.ndarray, b: np.ndarray) -> bool:
    """Most of the picture changed (the median cell), not just a part (someone walking in)."""
    return float(np.median(np.abs(a - b))) > CHANGE


def mark_cuts(frames: Iterable[Any]) -> Iterator[tuple[Any, str]]:
    """Each decoded frame with ``"cut"``, ``"flash"`` or ``""``, one frame behind (the frame
    after decides)."""
    held: tuple[Any, Any, Any] | None = None  # a frame, its cells, the cells of the one before
    for frame in frames:
        cells = luma_cells(frame)
        before = None
        if held is not None:
            change = _change(held[2], held[1], cells)
            yield held[0], change
            # the frame after a flash is compared with the frame before the flash
            before = held[2] if change == "flash" else held[1]
        held = (frame, cells, before)
    if held is not None:
        yield held[0], _change(held[2], held[1], None)


def _change(before, now, after) -> str:
    if before is None or now is None or not differs(before, now):
        return ""
    if after is None or not differs(now, after):
        return "cut"
    return "cut" if differs(before, after) else "flash"
