"""Clustering 128-d face encodings into identities: arrays in, labels out.

Every method returns one label per face, ``-1`` for faces left unassigned. Distances are
Euclidean, the metric dlib's model was trained for (same person below about 0.6).

Two rules hold for every method:

- **cannot-link**: two faces from the same photo never share a label (a photo shows a person
  once); the face farther from its cluster's centre is unassigned;
- **min faces**: clusters smaller than ``min_faces`` are unassigned rather than made people.
"""

from __future__ import annotations

import numpy as np

from .params import METHODS, ClusterParams

#: below this many faces neighbours are found exactly; above, with an inverted-file index
EXACT_NEIGHBOURS_UP_TO = 20_000
#: ... or when there are few queries (a brute-force search of this many pairs takes ~1 s)
EXACT_PAIRS_UP_TO = 1_000_000_000
#: average linkage over all pairs of a connected part up to this size (memory grows as its square)
EXACT_LINKAGE_UP_TO = 15_000


# ---------------------------------------------------------------- nearest neighbours


def nearest_neighbours(
    data: np.ndarray, k: int, queries: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """``(distances, indices)`` of the `k` nearest rows of `data` for each query row.

    Queries default to `data` itself, in which case each row's own index is not returned. Exact
    up to `EXACT_NEIGHBOURS_UP_TO` rows of data or `EXACT_PAIRS_UP_TO` query-data pairs; beyond,
    faiss's inverted-file index (which misses a few true neighbours of far-off faces).
    """
    data = np.ascontiguousarray(data, dtype=np.float32)
    self_query = queries is None
    queries = data if self_query else np.ascontiguousarray(queries, dtype=np.float32)
    k_search = min(k + (1 if self_query else 0), len(data))
    if k_search == 0 or len(queries) == 0:
        empty = np.empty((len(queries), 0))
        return empty.astype(np.float32), empty.astype(np.int64)
    if len(data) <= EXACT_NEIGHBOURS_UP_TO or len(queries) * len(data) <= EXACT_PAIRS_UP_TO:
        distances, indices = _exact_neighbours(data, queries, k_search)
    else:
        distances, indices = _approximate_neighbours(data, queries, k_search)
    if self_query:
        distances, indices = _drop_self(distances, indices)
    return distances[:, :k], indices[:, :k]


def _exact_neighbours(data: np.ndarray, queries: np.ndarray, k: int):
    import faiss

    index = faiss.IndexFlatL2(data.shape[1])
    index.add(data)
    squared, indices = index.search(queries, k)
    return np.sqrt(np.maximum(squared, 0)).astype(np.float32), indices.astype(np.int64)


def _approximate_neighbours(data: np.ndarray, queries: np.ndarray, k: int):
    import faiss

    lists = int(min(16384, max(64, 4 * np.sqrt(len(data)))))
    quantizer = faiss.IndexFlatL2(data.shape[1])
    index = faiss.IndexIVFFlat(quantizer, data.shape[1], lists)
    sample = data[np.random.default_rng(0).permutation(len(data))[: lists * 40]]
    index.train(sample)
    index.add(data)
    index.nprobe = 12
    squared, indices = index.search(queries, k)
    distances = np.sqrt(np.maximum(squared, 0))
    distances[indices < 0] = np.inf
    return distances.astype(np.float32), indices.astype(np.int64)


def _drop_self(distances: np.ndarray, indices: np.ndarray):
    rows = np.arange(len(indices))[:, None]
    is_self = indices == rows
    # rows that did not find themselves (duplicates tie at 0) lose their last column instead
    missing = ~is_self.any(axis=1)
    is_self[missing, -1] = True
    keep = ~is_self
    width = indices.shape[1] - 1
    if width == 0:
        return distances[:, :0], indices[:, :0]
    return distances[keep].reshape(-1, width), indices[keep].reshape(-1, width)


def neighbour_edges(
    encodings: np.ndarray, threshold: float, k: int, image_ids: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Undirected edges ``(a, b, distance)`` between faces closer than `threshold`, each face
    linked to at most its `k` nearest; never between two faces of the same photo."""
    distances, indices = nearest_neighbours(encodings, k)
    a = np.repeat(np.arange(len(encodings)), indices.shape[1])
    b, d = indices.ravel(), distances.ravel()
    keep = (d < threshold) & (b >= 0)
    a, b, d = a[keep], b[keep], d[keep]
    if image_ids is not None:
        different = image_ids[a] != image_ids[b]
        a, b, d = a[different], b[different], d[different]
    low, high = np.minimum(a, b), np.maximum(a, b)
    key = low * len(encodings) + high
    _, first = np.unique(key, return_index=True)
    return low[first], high[first], d[first]


# ---------------------------------------------------------------- methods


def chinese_whispers(count: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """dlib's Chinese whispers on an edge list (each node also linked to itself, as
    ``dlib.chinese_whispers_clustering`` does). Returns a label per node."""
    import dlib

    if count == 0:
        return np.empty(0, dtype=np.int64)
    edges = list(zip(a.tolist(), b.tolist(), strict=True))
    edges.extend((i, i) for i in range(count))  # dlib seeds its generator: same input, same output
    return np.asarray(dlib.chinese_whispers(edges), dtype=np.int64)


def iterative_dbscan(encodings: np.ndarray, params: ClusterParams) -> np.ndarray:
    """The old tool's loop: DBSCAN with eps lowered a step each round; a cluster whose faces lie
    on average farther than ``max_distance`` from its best face goes back for the next round."""
    from sklearn.cluster import DBSCAN

    labels = np.full(len(encodings), -1, dtype=np.int64)
    pool = np.arange(len(encodings))
    next_label = 0
    for round_number in range(1, params.iterations + 1):
        eps = params.threshold - (round_number - 1) * params.eps_step
        if len(pool) < params.min_samples or eps <= 0:
            break
        found = DBSCAN(eps=eps, min_samples=params.min_samples).fit_predict(encodings[pool])
        accepted = np.zeros(len(pool), dtype=bool)
        for label in np.unique(found[found >= 0]):
            members = np.flatnonzero(found == label)
            if _spread_from_best_face(encodings[pool[members]]) <= params.max_distance:
                labels[pool[members]] = next_label
                accepted[members] = True
                next_label += 1
        if not accepted.any() and round_number > 1:
            break
        pool = pool[~accepted]
    return labels


def average_linkage(
    encodings: np.ndarray, a: np.ndarray, b: np.ndarray, threshold: float
) -> np.ndarray:
    """Agglomerative clustering with average linkage (the mean distance between two groups'
    faces must stay below `threshold`), run on each connected part of the neighbour graph.

    Faces in different parts are never closer than the threshold, so this equals clustering all
    faces at once while needing memory for the largest part only. A part larger than
    `EXACT_LINKAGE_UP_TO` faces averages over its graph edges only (an approximation).
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components
    from sklearn.cluster import AgglomerativeClustering

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
        connectivity = graph[members][:, members] if len(members) > EXACT_LINKAGE_UP_TO else None
        model = AgglomerativeClustering(
            n_clusters=None,
            distance_threshold=threshold,
            linkage="average",
            connectivity=connectivity,
        )
        found = model.fit_predict(encodings[members])
        labels[members] = found + next_label
        next_label += int(found.max()) + 1
    return labels


def _spread_from_best_face(members: np.ndarray) -> float:
    """Mean distance of a cluster's faces to its best face (the one closest to all others)."""
    if len(members) < 2:
        return 0.0
    pairwise = np.linalg.norm(members[:, None, :] - members[None, :, :], axis=2)
    best = int(np.argmin(pairwise.mean(axis=1)))
    return float(pairwise[best].sum() / (len(members) - 1))


def _sklearn_method(encodings: np.ndarray, params: ClusterParams) -> np.ndarray:
    if params.method == "optics":
        from sklearn.cluster import OPTICS

        model = OPTICS(
            min_samples=max(2, params.min_faces),
            max_eps=params.threshold,
            cluster_method="dbscan",
            eps=params.threshold,
        )
        return model.fit_predict(encodings)
    if params.method == "hdbscan":
        from sklearn.cluster import HDBSCAN

        if len(encodings) < 2:
            return np.full(len(encodings), -1, dtype=np.int64)
        model = HDBSCAN(
            min_cluster_size=max(2, params.min_faces),
            min_samples=1,
            cluster_selection_epsilon=params.threshold / 2,
            copy=True,
        )
        return model.fit_predict(encodings)
    raise ValueError(f"unknown method {params.method!r}; choose one of {', '.join(METHODS)}")


# ---------------------------------------------------------------- rules and entry point


def enforce_cannot_link(
    encodings: np.ndarray, labels: np.ndarray, image_ids: np.ndarray
) -> np.ndarray:
    """Keep one face per photo in each cluster: the one nearest the cluster's centre."""
    labels = labels.copy()
    assigned = np.flatnonzero(labels >= 0)
    if len(assigned) == 0:
        return labels
    pair_key = labels[assigned] * (int(image_ids.max()) + 1) + image_ids[assigned]
    unique, counts = np.unique(pair_key, return_counts=True)
    for key in unique[counts > 1]:
        members = assigned[pair_key == key]
        label = labels[members[0]]
        centre = encodings[labels == label].mean(axis=0)
        nearest = members[np.argmin(np.linalg.norm(encodings[members] - centre, axis=1))]
        labels[members[members != nearest]] = -1
    return labels


def drop_small_clusters(labels: np.ndarray, min_faces: int) -> np.ndarray:
    labels = labels.copy()
    valid = labels >= 0
    unique, counts = np.unique(labels[valid], return_counts=True)
    small = unique[counts < min_faces]
    labels[np.isin(labels, small)] = -1
    return labels


def relabel(labels: np.ndarray) -> np.ndarray:
    """Labels 0..n-1 by decreasing cluster size; -1 stays -1."""
    out = np.full(len(labels), -1, dtype=np.int64)
    valid = labels >= 0
    unique, counts = np.unique(labels[valid], return_counts=True)
    order = unique[np.argsort(-counts, kind="stable")]
    mapping = {int(old): new for new, old in enumerate(order)}
    out[valid] = [mapping[int(v)] for v in labels[valid]]
    return out


def cluster_faces(
    encodings: np.ndarray, image_ids: np.ndarray, params: ClusterParams | None = None
) -> np.ndarray:
    """A label per face (``-1`` = unassigned), with cannot-link and min faces applied."""
    params = params or ClusterParams()
    encodings = np.asarray(encodings, dtype=np.float32)
    image_ids = np.asarray(image_ids, dtype=np.int64)
    if len(encodings) < 2:  # nothing to group: a lone face is a person only if min_faces allows
        return drop_small_clusters(np.zeros(len(encodings), dtype=np.int64), params.min_faces)
    if params.method == "chinese_whispers":
        a, b, _ = neighbour_edges(encodings, params.threshold, params.neighbours, image_ids)
        labels = chinese_whispers(len(encodings), a, b)
    elif params.method == "ahc":
        a, b, _ = neighbour_edges(encodings, params.threshold, params.neighbours, image_ids)
        labels = average_linkage(encodings, a, b, params.threshold)
    elif params.method == "dbscan":
        labels = iterative_dbscan(encodings, params)
    else:
        labels = np.asarray(_sklearn_method(encodings, params), dtype=np.int64)
    labels = enforce_cannot_link(encodings, labels, image_ids)
    return relabel(drop_small_clusters(labels, params.min_faces))


# ---------------------------------------------------------------- attaching faces to people


def attach_faces(
    known: np.ndarray,
    known_labels: np.ndarray,
    known_images: np.ndarray,
    faces: np.ndarray,
    face_images: np.ndarray,
    threshold: float,
    forbidden: set[tuple[int, int]] | None = None,
    nearest: int = 8,
    neighbours: int = 10,
) -> np.ndarray:
    """The label each face joins among labelled `known` faces, or -1.

    A face joins the label whose `nearest` faces lie closest to it on average, if that average
    is below `threshold`: average linkage to the part of the person the face resembles, so one
    close face is not enough (a stranger who looks like one photo of someone stays apart), while
    a person seen in many poses need not be close to all of them (0 = all faces). Candidates are
    the labels of its `neighbours` nearest known faces. Never a label already in the face's
    photo, nor ``(face index, label)`` in `forbidden` ("not this person")."""
    chosen = np.full(len(faces), -1, dtype=np.int64)
    if len(known) == 0 or len(faces) == 0:
        return chosen
    forbidden = forbidden or set()
    known = np.asarray(known, dtype=np.float32)
    order = np.argsort(known_labels, kind="stable")
    starts = np.searchsorted(known_labels[order], np.unique(known_labels))
    members = dict(zip(np.unique(known_labels).tolist(), np.split(order, starts[1:]), strict=True))
    in_photo: dict[int, set[int]] = {}
    for image, label in zip(known_images.tolist(), known_labels.tolist(), strict=True):
        in_photo.setdefault(image, set()).add(label)
    distances, indices = nearest_neighbours(known, min(neighbours, len(known)), faces)
    for row in range(len(faces)):
        near = indices[row][(distances[row] < threshold) & (indices[row] >= 0)]
        taken = in_photo.setdefault(int(face_images[row]), set())
        best, best_mean = -1, threshold
        for label in dict.fromkeys(known_labels[near].tolist()):
            if label in taken or (row, label) in forbidden:
                continue
            spread = np.linalg.norm(known[members[label]] - faces[row], axis=1)
            if nearest and len(spread) > nearest:
                spread = np.partition(spread, nearest - 1)[:nearest]
            mean = float(spread.mean())
            if mean < best_mean:
                best, best_mean = label, mean
        if best >= 0:
            chosen[row] = best
            taken.add(best)
    return chosen


def keep_people_apart(
    labels: np.ndarray, people: np.ndarray, apart: set[tuple[int, int]]
) -> np.ndarray:
    """Split clusters that would join two people a user said are different.

    `people` is each face's person before this run (-1 for none); within a cluster, the faces of
    each person kept apart from one already in it (largest first) go to a cluster of their own."""
    labels = labels.copy()
    if not apart:
        return labels
    next_label = int(labels.max(initial=-1)) + 1
    for label in np.unique(labels[labels >= 0]):
        inside = np.flatnonzero(labels == label)
        owners, counts = np.unique(people[inside][people[inside] >= 0], return_counts=True)
        groups: list[set[int]] = []
        for owner in owners[np.argsort(-counts, kind="stable")].tolist():
            home = next(
                (g for g in groups if not any((min(owner, o), max(owner, o)) in apart for o in g)),
                None,
            )
            if home is None:
                home = set()
                groups.append(home)
            home.add(owner)
        for group in groups[1:]:
            labels[inside[np.isin(people[inside], list(group))]] = next_label
            next_label += 1
    return labels
