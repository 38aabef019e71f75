"""Normalised boxes between the stored image and the photo as shown (EXIF orientation).

XMP regions apply to the image as stored; facegraph's boxes are those of the photo as a viewer
shows it, with the EXIF orientation applied. Orientation 6, for example, is shown turned 90
degrees clockwise: a point ``(x, y)`` of the stored image is shown at ``(1 - y, x)``.
"""

from __future__ import annotations

Box = tuple[float, float, float, float]  # left, top, right, bottom, each 0..1

#: where a stored point (x, y) is shown, for each EXIF orientation
_SHOWN = {
    1: lambda x, y: (x, y),
    2: lambda x, y: (1 - x, y),
    3: lambda x, y: (1 - x, 1 - y),
    4: lambda x, y: (x, 1 - y),
    5: lambda x, y: (y, x),
    6: lambda x, y: (1 - y, x),
    7: lambda x, y: (1 - y, 1 - x),
    8: lambda x, y: (y, 1 - x),
}
#: the stored point shown at (x, y): each transform's inverse
_STORED = {
    1: _SHOWN[1],
    2: _SHOWN[2],
    3: _SHOWN[3],
    4: _SHOWN[4],
    5: _SHOWN[5],
    6: _SHOWN[8],
    7: _SHOWN[7],
    8: _SHOWN[6],
}


def _map(box: Box, transform) -> Box:
    (x0, y0), (x1, y1) = transform(box[0], box[1]), transform(box[2], box[3])
    return (min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))


def shown_box(box: Box, orientation: int | None) -> Box:
    """`box` of the stored image, in the photo as shown."""
    return _map(box, _SHOWN.get(orientation or 1, _SHOWN[1]))


def stored_box(box: Box, orientation: int | None) -> Box:
    """`box` of the photo as shown, in the stored image."""
    return _map(box, _STORED.get(orientation or 1, _STORED[1]))


def turns_sideways(orientation: int | None) -> bool:
    """Whether the photo is shown with width and height swapped."""
    return (orientation or 1) in (5, 6, 7, 8)
