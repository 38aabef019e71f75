"""Which face found now is which face stored before, when a photo is analysed again.

A photo analysed again (``ingest --redetect`` with a new detector, ``--force``, a changed file)
gets new boxes. A new face that overlaps a stored one is the same face: it keeps the stored face's
row (its id, person, name, edits, "not this person" and "not a face"), so the work a person put
into naming is not lost. Boxes only, no database.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..xmp.regions import overlap

#: a new box overlapping a stored one by this much (intersection over union) is the same face
SAME_FACE_IOU = 0.5
#: a new box overlapping a forgotten face by this much is that face, and stays forgotten
FORGOTTEN_IOU = 0.3

Box = tuple[int, int, int, int]


def match_faces(
    new: Sequence[Box], stored: Sequence[Box], threshold: float = SAME_FACE_IOU
) -> dict[int, int]:
    """``{index in new: index in stored}`` for pairs overlapping by at least `threshold`, each
    face in at most one pair, the most overlapping pairs first."""
    pairs = sorted(
        ((overlap(a, b), i, j) for i, a in enumerate(new) for j, b in enumerate(stored)),
        reverse=True,
    )
    matched: dict[int, int] = {}
    taken: set[int] = set()
    for score, i, j in pairs:
        if score < threshold:
            break
        if i in matched or j in taken:
            continue
        matched[i] = j
        taken.add(j)
    return matched
