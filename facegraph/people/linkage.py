"""Average linkage (UPGMA): two groups join while the mean distance between their faces stays
below a threshold."""

from __future__ import annotations

import numpy as np

#: average linkage over all pairs of a connected part up to this size (memory grows as its square)
EXACT_LINKAGE_UP_TO = 15_000


def upgma(faces: np.ndarray, threshold: float) -> np.ndarray:
    """Average linkage over all pairs of `faces`: a label per face (scipy's, fast for the many
    small parts a library splits into)."""
    from scipy.cluster.hierarchy import linkage
    from scipy.spatial.distance import pdist

    count = len(faces)
    if count < 2:
        return np.zeros(count, dtype=np.int64)
    tree = linkage(pdist(faces.astype(np.float64)), method="average")
    # the merges below the threshold, replayed (scipy's fcluster checks the whole tree first,
    # which costs more than the clustering for the many small parts of a library)
    parent = np.arange(2 * count - 1)
    for step, (first, second, height, _) in enumerate(tree):
        if height >= threshold:
            break
        parent[int(first)] = parent[int(second)] = count + step
    root = parent.copy()
    for node in range(2 * count - 2, -1, -1):  # parents come after their children
        root[node] = root[parent[node]]
    return np.unique(root[:count], return_inverse=True)[1].astype(np.int64)


def average_linkage(
    encodings: np.ndarray, a: np.ndarray, b: np.ndarray, threshold: float
) -> np.ndarray:
    """Average linkage on each connected part of the neighbour graph ``(a, b)``.

    Faces in different parts are never closer than the threshold, so this equals clustering all
    faces at once while needing memory for the largest part only. A part larger than
    `EXACT_LINKAGE_UP_TO` faces averages over its graph edges only (an approximation).
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    count = len(encodings)
    graph = coo_matrix((np.ones(len(a)), (a, b)), shape=(count, count)).tocsr()
    graph = graph + graph.T
    _, component = connected_components(graph, directed=False)
    labels = np.full(count, -1, dtype=np.int64)
    order = np.argsort(component, kind="stable")
    bounds = np.flatnonzero(np.diff(component[order])) + 1
    next_label = 0
    for members in np.split(order, bounds):
        if len(members) < 3:  # one face, or two joined by an edge shorter than the threshold
            labels[members] = next_label
            next_label += 1
            continue
        if len(members) <= EXACT_LINKAGE_UP_TO:
            found = upgma(encodings[members], threshold)
        else:
            found = _connected_upgma(encodings[members], graph[members][:, members], threshold)
        labels[members] = found + next_label
        next_label += int(found.max()) + 1
    return labels


def _connected_upgma(faces: np.ndarray, connectivity, threshold: float) -> np.ndarray:
    from sklearn.cluster import AgglomerativeClustering

    model = AgglomerativeClustering(
        n_clusters=None, distance_threshold=threshold, linkage="average", connectivity=connectivity
    )
    return model.fit_predict(faces).astype(np.int64)
