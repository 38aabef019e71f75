"""A photo's named regions (`facegraph.xmp`) and the faces found in it: which is which.

A face region matches the detected face it overlaps most (by intersection over union, or, for
a region drawn much larger or smaller than the detector's box, when each box holds the other's
centre). A named face region that no detected face matches gives a face of its own: dlib's five
landmarks and the encoding are computed inside the region's box, so a face the detector missed
(turned, blurred, in shadow) but a person named is not lost.
"""

from __future__ import annotations

import numpy as np

from ..faces.detect import DetectedFace
from ..faces.encode import onnx_threads
from ..faces.retinaface import retinaface_detector
from ..xmp.regions import Region, overlap
from .decode import resize_long_side
from .records import RegionRecord
from .same_faces import match_faces

#: a region and a detected face overlapping this much are the same face
REGION_IOU = 0.3
#: a named region's face is looked for in the region grown by this share on each side, at
#: this long side in pixels, with these scores (a person said a face is there)
REGION_MARGIN = 0.5
REGION_SEARCH_SIDE = 320
REGION_SCORE = 0.2
REGION_RECHECK = 0.3


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
        # a second region on a face already matched (two names for one face): that face
        same = max(range(len(found)), key=lambda j: overlap(box, found[j]), default=None)
        if same is not None and overlap(box, found[same]) >= REGION_IOU:
            record.face = same
            continue
        if record.region.name:
            left, top = round(box[0] * width), round(box[1] * height)
            right, bottom = round(box[2] * width), round(box[3] * height)
            if right - left >= 2 and bottom - top >= 2:
                record.face, record.made_face = len(faces) + len(made), True
                made.append(DetectedFace(left, top, right, bottom))
    return records, made


def face_in_region(pixels: np.ndarray, region: DetectedFace) -> DetectedFace:
    """The face inside a named region that the search of the whole photo missed: RetinaFace
    looks again in the region alone, enlarged, with low scores, and its box is used when it
    finds a face there (dlib's landmarks then sit as on any detected face); else the region's
    own box."""
    height, width = pixels.shape[:2]
    grow_x, grow_y = region.width * REGION_MARGIN, region.height * REGION_MARGIN
    left, top = max(0, round(region.left - grow_x)), max(0, round(region.top - grow_y))
    right = min(width, round(region.right + grow_x))
    bottom = min(height, round(region.bottom + grow_y))
    crop = pixels[top:bottom, left:right]
    if min(crop.shape[:2]) < 8:
        return region
    search = resize_long_side(crop, REGION_SEARCH_SIDE)
    scale = crop.shape[1] / search.shape[1]
    found = retinaface_detector(onnx_threads()).detect(search, REGION_SCORE, REGION_RECHECK)
    wanted = (region.left, region.top, region.right, region.bottom)
    best, best_overlap = None, REGION_IOU
    for face in found:
        box = tuple(
            v * scale + offset for v, offset in zip(face.dlib_box, (left, top) * 2, strict=True)
        )
        score = overlap(box, wanted)
        if score >= best_overlap:
            best, best_overlap = (box, face), score
    if best is None:
        return region
    (x0, y0, x1, y1), face = best
    points = face.landmarks * np.float32(scale) + np.array([left, top], np.float32)
    return DetectedFace(round(x0), round(y0), round(x1), round(y1), face.score, points)
