"""A photo's named regions (`facegraph.xmp`) and the faces found in it: which is which.

A face region matches the detected face it overlaps most (by intersection over union, or, for
a region drawn much larger or smaller than the detector's box, when each box holds the other's
centre). A named face region that no detected face matches gives a face of its own: dlib's five
landmarks and the encoding are computed inside the region's box, so a face the detector missed
(turned, blurred, in shadow) but a person named is not lost.
"""

from __future__ import annotations

from ..faces.detect import DetectedFace
from ..xmp.regions import Region, overlap
from .records import RegionRecord
from .same_faces import match_faces

#: a region and a detected face overlapping this much are the same face
REGION_IOU = 0.3


def _normalised(face: DetectedFace, width: int, height: int):
    return (face.left / width, face.top / height, face.right / width, face.bottom / height)


def _holds_centre(outer, inner) -> bool:
    x, y = (inner[0] + inner[2]) / 2, (inner[1] + inner[3]) / 2
    return outer[0] <= x <= outer[2] and outer[1] <= y <= outer[3]


def place_regions(
    regions: list[Region], faces: list[DetectedFace], width: int, height: int
) -> tuple[list[RegionRecord], list[DetectedFace]]:
    """Match the face regions to `faces` (boxes in a `width` x `height` image); returns the
    records, and the boxes of the faces to make from regions, numbered after `faces`."""
    records = [RegionRecord(region) for region in regions]
    face_regions = [i for i, r in enumerate(regions) if r.box is not None and r.kind == "Face"]
    found = [_normalised(face, width, height) for face in faces]
    scale = 10_000  # match_faces takes integer boxes
    as_int = [tuple(round(v * scale) for v in regions[i].box) for i in face_regions]  # type: ignore[union-attr]
    matched = match_faces(as_int, [tuple(round(v * scale) for v in b) for b in found], REGION_IOU)
    taken = set(matched.values())
    for position, index in enumerate(face_regions):
        box = regions[index].box
        assert box is not None
        if position in matched:
            records[index].face = matched[position]
            continue
        # a region drawn larger or smaller than the detector's box: each holds the other's centre
        near = [
            j
            for j, other in enumerate(found)
            if j not in taken and _holds_centre(box, other) and _holds_centre(other, box)
        ]
        if near:
            best = max(near, key=lambda j: overlap(box, found[j]))
            records[index].face = best
            taken.add(best)
    made: list[DetectedFace] = []
    for record in records:
        box = record.region.box
        if record.face is not None or box is None or record.region.kind != "Face":
            continue
        if record.region.name:
            left, top = round(box[0] * width), round(box[1] * height)
            right, bottom = round(box[2] * width), round(box[3] * height)
            if right - left >= 2 and bottom - top >= 2:
                record.face, record.made_face = len(faces) + len(made), True
                made.append(DetectedFace(left, top, right, bottom))
    return records, made
