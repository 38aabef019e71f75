"""HDBSCAN with ``min_samples=1`` on a neighbour graph, in O(n log n).

scikit-learn's HDBSCAN gives the same clusters but walks its cluster tree with one pass over
the whole tree per cluster when it labels faces, which is quadratic: at a million faces (a
few hundred thousand people) it would take hours. Here the same steps take linear passes:

1. the minimum spanning tree of the neighbour graph (parts that do not touch are chained by
   links of length `FAR`, as if they were that far apart) gives single linkage's hierarchy;
2. the hierarchy is condensed: a split where either side has fewer than `min_cluster_size`
   faces is those faces leaving the cluster, not a new cluster;
3. each condensed cluster's stability is the sum over its faces of how long (in 1/distance)
   they stayed in it; clusters are chosen bottom-up where they are at least as stable as the
   clusters chosen below them ("excess of mass"); the whole is never chosen;
4. every face takes the chosen cluster it belonged to, or none.
"""

from __future__ import annotations

import numpy as np

#: the length given to links between parts of the graph that do not touch
FAR = 4.0


def hdbscan_labels(
    a: np.ndarray, b: np.ndarray, d: np.ndarray, count: int, min_cluster_size: int = 2
) -> np.ndarray:
    """Cluster labels (-1 = noise) from undirected edges ``(a, b, distance)`` over `count` faces."""
    if count < 2:
        return np.full(count, -1, dtype=np.int64)
    left, right, height = _single_linkage(a, b, d, count)
    return _excess_of_mass(left, right, height, count, min_cluster_size)


def _single_linkage(a, b, d, count):
    """The merges of single linkage: ``(left, right, distance)`` for nodes ``count + k``."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components, minimum_spanning_tree

    d = np.maximum(np.asarray(d, dtype=np.float64), 1e-9)  # a zero would be no link
    graph = coo_matrix((d, (a, b)), shape=(count, count)).tocsr()
    tree = minimum_spanning_tree(graph).tocoo()
    u, v, w = tree.row, tree.col, tree.data
    parts, part = connected_components(tree, directed=False)
    if parts > 1:  # chain the parts together, far apart
        firsts = np.unique(part, return_index=True)[1]
        u, v = np.r_[u, firsts[:-1]], np.r_[v, firsts[1:]]
        w = np.r_[w, np.full(parts - 1, FAR)]
    order = np.argsort(w, kind="stable")
    parent = np.arange(2 * count - 1)  # union-find over faces and merge nodes
    left = np.empty(count - 1, dtype=np.int64)
    right = np.empty(count - 1, dtype=np.int64)
    height = w[order].astype(np.float64)

    def root(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for k, edge in enumerate(order.tolist()):
        ra, rb = root(int(u[edge])), root(int(v[edge]))
        left[k], right[k] = ra, rb
        parent[ra] = parent[rb] = count + k
    return left, right, height


def _excess_of_mass(left, right, height, count, min_size):
    """Condense the hierarchy, choose the most stable clusters, label the faces."""
    nodes = 2 * count - 1
    size = np.ones(nodes, dtype=np.int64)
    for k in range(count - 1):
        size[count + k] = size[left[k]] + size[right[k]]
    with np.errstate(divide="ignore"):
        lam = np.where(height > 0, 1.0 / height, np.inf)
    # top-down: each hierarchy node belongs to a condensed cluster; faces leave clusters
    cluster_of = np.full(nodes, -1, dtype=np.int64)  # node -> condensed cluster
    births = [0.0]  # condensed cluster -> lambda it was born at
    parents = [-1]  # condensed cluster -> its parent cluster
    stability = [0.0]
    left_at = np.zeros(count)  # face -> lambda at which it left its cluster
    face_cluster = np.zeros(count, dtype=np.int64)  # face -> cluster it left
    cluster_of[nodes - 1] = 0
    for node in range(nodes - 1, count - 1, -1):
        k = node - count
        cluster = int(cluster_of[node])
        at = float(lam[k])
        children = (int(left[k]), int(right[k]))
        big = [c for c in children if size[c] >= min_size]
        if len(big) == 2:
            stability[cluster] += (at - births[cluster]) * size[node]
            for child in children:
                cluster_of[child] = len(births)
                births.append(at)
                parents.append(cluster)
                stability.append(0.0)
            continue
        for child in children:
            if size[child] >= min_size:
                cluster_of[child] = cluster
            else:  # these faces leave the cluster here
                stability[cluster] += (at - births[cluster]) * size[child]
                _leave(child, count, left, right, at, cluster, left_at, face_cluster)
    chosen = _choose(np.array(parents), np.array(stability))
    labels = chosen[face_cluster]
    return labels


def _leave(node, count, left, right, at, cluster, left_at, face_cluster):
    stack = [node]
    while stack:
        x = stack.pop()
        if x < count:
            left_at[x] = at
            face_cluster[x] = cluster
        else:
            stack.extend((int(left[x - count]), int(right[x - count])))


def _choose(parents: np.ndarray, stability: np.ndarray) -> np.ndarray:
    """Excess of mass: cluster -> the chosen cluster at or above it (a label), or -1."""
    clusters = len(parents)
    best = stability.copy()  # the best total stability of choices within each subtree
    below = np.zeros(clusters)
    has_children = np.zeros(clusters, dtype=bool)
    has_children[parents[1:]] = True
    selected = np.zeros(clusters, dtype=bool)
    for cluster in range(clusters - 1, 0, -1):  # children come after their parents
        if has_children[cluster] and below[cluster] > stability[cluster]:
            best[cluster] = below[cluster]
        else:
            selected[cluster] = True
        below[parents[cluster]] += best[cluster]
    # a cluster is kept if chosen and no cluster above it was chosen
    label = np.full(clusters, -1, dtype=np.int64)
    numbers = np.cumsum(selected) - 1
    for cluster in range(1, clusters):
        above = label[parents[cluster]]
        label[cluster] = above if above >= 0 else (numbers[cluster] if selected[cluster] else -1)
    return label
