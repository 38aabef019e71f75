"""A distance between two encodings, turned into the probability that the faces are one person.

The table (`confidence.csv`, beside this file) was fitted by `bench/calibrate.py` on
../shared/lfw-dev, on the pairs a search meets: faces of one half of its identities, each
searched for among all its 6,248 labelled faces (mostly strangers), isotonic regression of
"same person" on the distance. The other half's searches check it; the figures are in the
file's header and in docs/how-to/find-a-person.md (per decile, the share of right matches
lies within 0.08 of the confidence given).

What the number means: of the matches a search of a library like lfw-dev (thousands of people,
most seen once or twice) gives at this distance, this share is the person. It is not the
chance on even odds that two faces are one person: at face_recognition's "same below 0.6" a
search is right 13 % of the time. A library of many more strangers makes a match at a given
distance somewhat less likely right; a library of few people, more.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

import numpy as np

TABLE = "confidence.csv"


@cache
def _table() -> tuple[np.ndarray, np.ndarray]:
    text = (resources.files("facegraph.find") / TABLE).read_text("utf-8")
    rows = [
        line.split(",")
        for line in text.splitlines()
        if line and not line.startswith("#") and not line.startswith("distance")
    ]
    distances = np.array([float(d) for d, _ in rows])
    confidences = np.array([float(c) for _, c in rows])
    return distances, confidences


def confidence(distance: float | np.ndarray) -> np.ndarray:
    """P(same person | distance), from the shipped table (linear between its rows)."""
    distances, confidences = _table()
    return np.interp(np.asarray(distance, dtype=np.float64), distances, confidences)


def distance_for(min_confidence: float) -> float:
    """The largest distance whose confidence is at least `min_confidence` (the search limit)."""
    distances, confidences = _table()
    grid = np.linspace(distances[0], distances[-1], 4001)
    passing = grid[confidence(grid) >= min_confidence]
    return float(passing.max()) if len(passing) else -1.0
