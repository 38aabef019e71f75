"""Nearest neighbours of face encodings (faiss): exact for small sets, an inverted-file index
for large ones, and the neighbour graph the clustering methods work on."""

from __future__ import annotations

import numpy as np

#: a k-nearest-neighbour graph: ``(distances, indices)``, a row per face, -1 where none
Neighbours = tuple[np.ndarray, np.ndarray]

#: below this many faces neighbours are found exactly; above, with an inverted-file index
EXACT_NEIGHBOURS_UP_TO = 20_000
#: ... or when there are few queries (a brute-force search of this many pairs takes ~1 s)
EXACT_PAIRS_UP_TO = 1_000_000_000
#: beyond, each face is compared with the faces of this many of the index's lists
PROBES = 12


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
    index.nprobe = PROBES
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
    neighbours: tuple[np.ndarray, np.ndarray],
    threshold: float = np.inf,
    image_ids: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Undirected edges ``(a, b, distance)`` of a k-nearest-neighbour graph (the ``(distances,
    indices)`` of `nearest_neighbours`) shorter than `threshold`, each pair once; never between
    two faces of the same photo."""
    distances, indices = neighbours
    count = len(indices)
    a = np.repeat(np.arange(count), indices.shape[1])
    b, d = indices.ravel(), distances.ravel()
    keep = (d < threshold) & (b >= 0)
    a, b, d = a[keep], b[keep], d[keep]
    if image_ids is not None:
        different = image_ids[a] != image_ids[b]
        a, b, d = a[different], b[different], d[different]
    low, high = np.minimum(a, b), np.maximum(a, b)
    _, first = np.unique(low * count + high, return_index=True)
    return low[first], high[first], d[first]


def restrict(
    neighbours: tuple[np.ndarray, np.ndarray], rows: np.ndarray, among: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The neighbours of faces `rows` that are among faces `among`, from a neighbour graph of
    all faces; indices become positions in `among` (-1 where none is left, at distance inf).
    Saves searching again for a subset (at the price of the neighbours the full search kept)."""
    distances, indices = neighbours
    position = np.full(len(indices), -1, dtype=np.int64)
    position[among] = np.arange(len(among))
    found = np.where(indices[rows] >= 0, position[np.maximum(indices[rows], 0)], -1)
    kept = np.where(found >= 0, distances[rows], np.inf).astype(np.float32)
    order = np.argsort(kept, axis=1, kind="stable")
    return np.take_along_axis(kept, order, 1), np.take_along_axis(found, order, 1)
