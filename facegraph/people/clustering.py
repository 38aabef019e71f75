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

from .attach import attach_faces, nearest_other_photo
from .consensus import consensus, split_distinct_groups
from .density import hdbscan_labels
from .linkage import average_linkage
from .neighbours import Neighbours, nearest_neighbours, neighbour_edges, restrict
from .params import ClusterParams

# ---------------------------------------------------------------- methods


def chinese_whispers(
    count: int, a: np.ndarray, b: np.ndarray, rounds: int = 30, batches: int = 10
) -> np.ndarray:
    """Chinese whispers (Biemann 2006, as dlib's `chinese_whispers`) on an undirected edge list,
    each node also linked to itself: every node takes the label most common among its
    neighbours, in random order, until no label changes. A tenth of the nodes is updated at a
    time, in numpy, which on 100k faces is seven times faster than dlib's node-by-node loop and
    scores the same on ../shared/lfw-dev. Seeded: the same graph gives the same labels."""
    from scipy.sparse import csr_matrix

    if count == 0:
        return np.empty(0, dtype=np.int64)
    rng = np.random.default_rng(0)
    nodes = np.arange(count)
    graph = csr_matrix(
        (np.ones(2 * len(a) + count, np.int8), (np.r_[a, b, nodes], np.r_[b, a, nodes])),
        shape=(count, count),
    )
    degree = np.diff(graph.indptr)
    labels = nodes.copy()
    for _ in range(rounds):
        changed = 0
        for batch in np.array_split(rng.permutation(count), min(batches, count)):
            lengths = degree[batch]
            owner = np.repeat(np.arange(len(batch)), lengths)
            within = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
            heard = labels[graph.indices[np.repeat(graph.indptr[batch], lengths) + within]]
            keys = np.unique(owner.astype(np.int64) * count + heard, return_counts=True)
            node, label, votes = keys[0] // count, keys[0] % count, keys[1]
            order = np.lexsort((label, -votes, node))  # most votes, then the smallest label
            first = np.r_[True, node[order][1:] != node[order][:-1]]
            best = label[order][first]
            changed += int((best != labels[batch]).sum())
            labels[batch] = best
        if changed == 0:
            break
    return labels


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


def _spread_from_best_face(members: np.ndarray) -> float:
    """Mean distance of a cluster's faces to its best face (the one closest to all others)."""
    if len(members) < 2:
        return 0.0
    pairwise = np.linalg.norm(members[:, None, :] - members[None, :, :], axis=2)
    best = int(np.argmin(pairwise.mean(axis=1)))
    return float(pairwise[best].sum() / (len(members) - 1))


def optics(encodings: np.ndarray, params: ClusterParams) -> np.ndarray:
    from sklearn.cluster import OPTICS

    model = OPTICS(
        min_samples=max(2, params.min_faces),
        max_eps=params.threshold,
        cluster_method="dbscan",
        eps=params.threshold,
    )
    return model.fit_predict(encodings)


def hdbscan(neighbours: Neighbours, min_cluster_size: int = 2) -> np.ndarray:
    """HDBSCAN (min_samples 1: its hierarchy is single linkage's; clusters chosen by how long
    they last) on the k-nearest-neighbour graph instead of all pairs, so it scales to millions
    of faces (`density`)."""
    a, b, d = neighbour_edges(neighbours)
    return hdbscan_labels(a, b, d, len(neighbours[1]), min_cluster_size)


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
    """A label per face (``-1`` = unassigned), with cannot-link and min faces applied.

    The result does not depend on the order of the faces: they are clustered in an order their
    encodings define (Chinese whispers and tie-breaks depend on order), so the same photos give
    the same people whatever order they were ingested in."""
    params = params or ClusterParams()
    encodings = np.asarray(encodings, dtype=np.float32)
    image_ids = np.asarray(image_ids, dtype=np.int64)
    if len(encodings) < 2:  # nothing to group: a lone face is a person only if min_faces allows
        return drop_small_clusters(np.zeros(len(encodings), dtype=np.int64), params.min_faces)
    direction = np.random.default_rng(128).normal(size=encodings.shape[1]).astype(np.float32)
    order = np.argsort(encodings @ direction, kind="stable")  # faces in an order of their own
    labels = np.empty(len(encodings), dtype=np.int64)
    labels[order] = _cluster(encodings[order], image_ids[order], params)
    return relabel(labels)


def _cluster(encodings: np.ndarray, image_ids: np.ndarray, params: ClusterParams) -> np.ndarray:
    if params.method in ("dbscan", "optics"):
        found = (iterative_dbscan if params.method == "dbscan" else optics)(encodings, params)
        return _finish(encodings, np.asarray(found, dtype=np.int64), image_ids, params.min_faces)
    neighbours = nearest_neighbours(encodings, params.neighbours)
    if params.method == "consensus":
        members = [
            _linkage_and_late_pass(encodings, image_ids, neighbours, params),
            _finish(encodings, hdbscan(neighbours), image_ids, 2),
            _finish(encodings, _whispers(neighbours, image_ids, params.threshold), image_ids, 2),
        ]
        found = consensus(members, neighbours, agree=2)
        found = split_distinct_groups(encodings, found, params.threshold)
    elif params.method == "ahc":
        found = _linkage(encodings, neighbours, image_ids, params.threshold)
    elif params.method == "hdbscan":
        found = hdbscan(neighbours, max(2, params.min_faces))
    else:
        found = _whispers(neighbours, image_ids, params.threshold)
    return _finish(encodings, found, image_ids, params.min_faces)


def _finish(
    encodings: np.ndarray, labels: np.ndarray, image_ids: np.ndarray, min_faces: int
) -> np.ndarray:
    labels = enforce_cannot_link(encodings, labels, image_ids)
    return relabel(drop_small_clusters(labels, min_faces))


def _whispers(neighbours: Neighbours, image_ids: np.ndarray, threshold: float) -> np.ndarray:
    a, b, _ = neighbour_edges(neighbours, threshold, image_ids)
    return chinese_whispers(len(image_ids), a, b)


def _linkage(
    encodings: np.ndarray, neighbours: Neighbours, image_ids: np.ndarray, threshold: float
) -> np.ndarray:
    a, b, _ = neighbour_edges(neighbours, threshold, image_ids)
    return average_linkage(encodings, a, b, threshold)


def _linkage_and_late_pass(
    encodings: np.ndarray, image_ids: np.ndarray, neighbours: Neighbours, params: ClusterParams
) -> np.ndarray:
    """Average linkage, then each face it left alone joins a group if it unambiguously belongs
    (`attach_faces`); the faces still alone are grouped among themselves. The neighbour graph
    of all faces serves every step."""
    linked = _finish(encodings, _linkage(encodings, neighbours, image_ids, params.threshold),
                     image_ids, 2)  # fmt: skip
    alone = np.flatnonzero(linked < 0)
    grouped = np.flatnonzero(linked >= 0)
    among_alone = restrict(neighbours, alone, alone)
    linked[alone] = attach_faces(
        encodings[grouped], linked[grouped], image_ids[grouped], encodings[alone],
        image_ids[alone], params.threshold + params.attach_slack, nearest=params.attach_nearest,
        ratio=params.attach_ratio, candidates=restrict(neighbours, alone, grouped),
        rivals=nearest_other_photo(among_alone, image_ids[alone]),
    )  # fmt: skip
    rest = np.flatnonzero(linked < 0)
    if len(rest) >= 2:
        more = _linkage(encodings[rest], restrict(neighbours, rest, rest), image_ids[rest],
                        params.threshold)  # fmt: skip
        more = _finish(encodings[rest], more, image_ids[rest], 2)
        linked[rest[more >= 0]] = more[more >= 0] + linked.max(initial=-1) + 1
    return linked
