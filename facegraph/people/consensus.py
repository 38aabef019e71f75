"""Several clusterings into one: links that most of them agree on, then a check that splits a
person whose faces fall into clearly distinct groups.

Average linkage keeps strangers apart but splits a person seen in many conditions; HDBSCAN and
Chinese whispers keep such a person together but follow single close pairs between strangers.
Where two of the three agree, both kinds of mistake mostly cancel (see the table on
../shared/lfw-dev in docs/explanation/faces-to-people.md). What neither catches is two people
who look alike but each consistently: sisters, say. Their faces form two tight groups that a
few close pairs bridge. `split_distinct_groups` separates such groups again.
"""

from __future__ import annotations

import numpy as np

from .linkage import upgma
from .neighbours import Neighbours, neighbour_edges

#: groups smaller than this give no reliable spread and are never split off
DISTINCT_MIN_FACES = 4
#: two groups are distinct when their mean distance is this many times their own spread
DISTINCT_RATIO = 1.3
#: larger clusters are checked on a sample of this many faces (average linkage is quadratic)
DISTINCT_SAMPLE = 1500


def consensus(memberships: list[np.ndarray], neighbours: Neighbours, agree: int) -> np.ndarray:
    """Faces linked where at least `agree` of the clusterings put two neighbours together; the
    people are the connected parts of those links."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    a, b, _ = neighbour_edges(neighbours)
    votes = np.zeros(len(a), dtype=np.int64)
    for labels in memberships:
        votes += (labels[a] == labels[b]) & (labels[a] >= 0)
    keep = votes >= agree
    count = len(neighbours[1])
    graph = coo_matrix((np.ones(int(keep.sum())), (a[keep], b[keep])), shape=(count, count))
    return connected_components(graph, directed=False)[1].astype(np.int64)


def split_distinct_groups(
    encodings: np.ndarray,
    labels: np.ndarray,
    threshold: float,
    min_faces: int = DISTINCT_MIN_FACES,
    ratio: float = DISTINCT_RATIO,
) -> np.ndarray:
    """Split each cluster that average linkage (at `threshold`) divides into groups of at least
    `min_faces` faces whose mean distance to each other exceeds `ratio` times the mean distance
    within them. The rest of the cluster goes with the group it is closest to on average."""
    labels = labels.copy()
    next_label = int(labels.max(initial=-1)) + 1
    rng = np.random.default_rng(0)
    assigned = np.flatnonzero(labels >= 0)
    order = assigned[np.argsort(labels[assigned], kind="stable")]
    bounds = np.flatnonzero(np.diff(labels[order])) + 1
    for members in np.split(order, bounds):
        if len(members) < 2 * min_faces:
            continue
        sample = members
        if len(members) > DISTINCT_SAMPLE:
            sample = np.sort(rng.choice(members, DISTINCT_SAMPLE, replace=False))
        groups = _distinct_groups(encodings[sample], threshold, min_faces, ratio)
        if len(groups) < 2:
            continue
        group_rows = [encodings[sample[g]] for g in groups]
        mean_distance = np.stack([_mean_distances(encodings[members], rows) for rows in group_rows])
        home = np.argmin(mean_distance, axis=0)
        for number in range(1, len(groups)):
            labels[members[home == number]] = next_label
            next_label += 1
    return labels


def _distinct_groups(
    faces: np.ndarray, threshold: float, min_faces: int, ratio: float
) -> list[np.ndarray]:
    """Rows of `faces` in groups that are clearly distinct (fewer than two: nothing to split)."""
    found = upgma(faces, threshold)
    numbers, counts = np.unique(found, return_counts=True)
    groups = [np.flatnonzero(found == n) for n in numbers[counts >= min_faces]]
    # join the two least distinct groups while any pair is not clearly apart
    while len(groups) > 1:
        best = None
        for i in range(len(groups)):
            for j in range(i + 1, len(groups)):
                a, b = faces[groups[i]], faces[groups[j]]
                between = _mean_distances(a, b).mean()
                spread = (_spread(a) + _spread(b)) / 2
                if between <= ratio * spread and (best is None or between / spread < best[0]):
                    best = (between / spread, i, j)
        if best is None:
            break
        _, i, j = best
        groups[i] = np.concatenate([groups[i], groups.pop(j)])
    return groups


def _mean_distances(faces: np.ndarray, group: np.ndarray) -> np.ndarray:
    """Each face's mean distance to the faces of `group`."""
    squared = (
        (faces * faces).sum(1)[:, None] + (group * group).sum(1)[None, :] - 2 * faces @ group.T
    )
    return np.sqrt(np.maximum(squared, 0)).mean(axis=1)


def _spread(faces: np.ndarray) -> float:
    """Mean distance between two faces of a group."""
    n = len(faces)
    return float(_mean_distances(faces, faces).sum() * n / (n * (n - 1)))
