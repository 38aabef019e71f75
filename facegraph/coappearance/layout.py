"""Where each person sits on the network page: computed once, seeded, before the page is
written, so the same library always gives the same picture and the page opens at once.

Each group of connected people is laid out on its own (force-directed: ties pull, everyone
pushes everyone away), then the groups are packed in rows, largest first, into a rectangle
shaped like a screen. People without a tie go in a grid below.
"""

from __future__ import annotations

import math

import networkx as nx
import numpy as np

#: canvas units between two tied people (node radii are about 12-40 units)
SPACING = 95.0
#: the packed picture's width over its height (a 1400x1000 window)
ASPECT = 1.4
#: the radius of the most connected people, and the room left for a name between two people
TOP_RADIUS = 40.0
LABEL_ROOM = 20.0
#: above this many people in one group, pushing is estimated from a sample of this many
SAMPLE = 1000


def node_radii(network: nx.Graph) -> dict[int, float]:
    """Each person's radius in canvas units: by photos and ties; the most connected tenth
    (10 to 50 people) are drawn largest, so that their faces read at first sight."""
    most = max([data["photos"] for _, data in network.nodes(data=True)] + [1])
    ranked = sorted(
        (n for n in network.nodes if network.degree(n) > 0),
        key=lambda n: (-network.degree(n), -network.nodes[n]["photos"], n),
    )
    top = set(ranked[: min(50, max(10, math.ceil(len(ranked) * 0.1)))])
    return {
        node: TOP_RADIUS if node in top
        else 12 + 18 * math.sqrt(data["photos"] / most) + min(network.degree(node), 8)
        for node, data in network.nodes(data=True)
    }  # fmt: skip


def layout(network: nx.Graph, seed: int = 0) -> dict[int, tuple[float, float]]:
    """Position per person, in canvas units."""
    radii = node_radii(network)
    tied = [sorted(c) for c in nx.connected_components(network) if len(c) > 1]
    tied.sort(key=lambda c: (-len(c), c[0]))
    boxes = [_component(network.subgraph(c), radii, seed) for c in tied]
    positions = _pack(boxes)
    placed = positions and max(y for _, y in positions.values())
    alone = sorted(n for n in network.nodes if network.degree(n) == 0)
    columns = max(1, int(math.sqrt(len(alone) * ASPECT)))
    top = (placed or 0) + 2 * SPACING
    for i, node in enumerate(alone):
        positions[node] = ((i % columns) * SPACING * 0.8, top + (i // columns) * SPACING * 0.8)
    return positions


def _component(
    graph: nx.Graph, radii: dict[int, float], seed: int
) -> dict[int, tuple[float, float]]:
    """A force-directed layout of one connected group, its corner at (0, 0)."""
    nodes = sorted(graph.nodes)
    if len(nodes) == 2:
        return {nodes[0]: (0.0, 0.0), nodes[1]: (SPACING + radii[nodes[0]] + radii[nodes[1]], 0.0)}
    index = {node: i for i, node in enumerate(nodes)}
    edges = np.array([(index[a], index[b]) for a, b in graph.edges], dtype=np.int64)
    weights = np.array([graph.edges[e].get("weight", 1.0) for e in graph.edges], dtype=np.float64)
    weights = 1 + np.log1p(weights / max(weights.max(), 1e-9) * 4)
    degree = np.bincount(edges.ravel(), minlength=len(nodes)).astype(np.float64)
    # a tie pulls less between people with many ties: a 40-person group photo spreads out
    weights = weights / np.sqrt(degree[edges[:, 0]] * degree[edges[:, 1]])
    points = _forces(len(nodes), edges, weights, seed)
    points = _spread_apart(points, np.array([radii[n] for n in nodes]))
    points -= points.min(axis=0)
    return {node: (float(x), float(y)) for node, (x, y) in zip(nodes, points, strict=True)}


def _forces(count: int, edges: np.ndarray, weights: np.ndarray, seed: int) -> np.ndarray:
    """Fruchterman-Reingold in numpy: repulsion k²/d between all pairs (or a sample), attraction
    d²/k along ties, a cooling step."""
    rng = np.random.default_rng(seed)
    k = SPACING
    points = (rng.uniform(-1, 1, size=(count, 2)) * k * math.sqrt(count)).astype(np.float32)
    step = k * math.sqrt(count) / 4
    iterations = 120 if count < 1000 else 50
    for _ in range(iterations):
        push = _repulsion(points, k, rng)
        delta = points[edges[:, 0]] - points[edges[:, 1]]
        distance = np.maximum(np.linalg.norm(delta, axis=1), 1e-3)
        pull = (delta * (distance * weights / k)[:, None]).astype(np.float32)
        np.add.at(push, edges[:, 0], -pull)
        np.add.at(push, edges[:, 1], pull)
        push -= points * (0.02 / math.sqrt(count))  # a little gravity keeps parts together
        length = np.maximum(np.linalg.norm(push, axis=1), 1e-9)
        points += push / length[:, None] * np.minimum(length, step)[:, None]
        step *= 0.95
    return points


def _spread_apart(points: np.ndarray, radii: np.ndarray) -> np.ndarray:
    """Push apart people whose faces (and a name's height) would touch."""
    from scipy.spatial import cKDTree

    points = points.astype(np.float64)
    # first give the typical person room (a dense core comes out of the forces too tight)
    nearest = cKDTree(points).query(points, k=2)[0][:, 1]
    wanted = 2 * np.median(radii) + LABEL_ROOM
    points *= max(1.0, wanted / max(float(np.median(nearest)), 1e-6))
    reach = 2 * radii.max() + LABEL_ROOM
    for _ in range(200):
        pairs = cKDTree(points).query_pairs(reach, output_type="ndarray")
        if len(pairs) == 0:
            break
        a, b = pairs[:, 0], pairs[:, 1]
        delta = points[a] - points[b]
        distance = np.maximum(np.linalg.norm(delta, axis=1), 1e-6)
        overlap = radii[a] + radii[b] + LABEL_ROOM - distance
        touching = overlap > 0
        if not touching.any():
            break
        push = delta[touching] / distance[touching, None] * (overlap[touching, None] / 2)
        np.add.at(points, a[touching], push)
        np.add.at(points, b[touching], -push)
    return points


def _repulsion(points: np.ndarray, k: float, rng: np.random.Generator) -> np.ndarray:
    count = len(points)
    others = points
    scale = 1.0
    if count > SAMPLE:
        others = points[rng.choice(count, SAMPLE, replace=False)]
        scale = count / SAMPLE
    push = np.zeros_like(points)
    for start in range(0, count, 1000):
        block = points[start : start + 1000]
        dx = block[:, 0, None] - others[None, :, 0]
        dy = block[:, 1, None] - others[None, :, 1]
        force = np.float32(k * k * scale) / np.maximum(dx * dx + dy * dy, np.float32(1e-2))
        push[start : start + 1000, 0] = (dx * force).sum(axis=1)
        push[start : start + 1000, 1] = (dy * force).sum(axis=1)
    return push


def _pack(boxes: list[dict[int, tuple[float, float]]]) -> dict[int, tuple[float, float]]:
    """Groups in rows, largest first, into a rectangle of about `ASPECT`."""
    sizes = [
        (max(x for x, _ in b.values()) + SPACING, max(y for _, y in b.values()) + SPACING)
        for b in boxes
    ]
    area = sum(w * h for w, h in sizes)
    width = max([math.sqrt(area * ASPECT)] + [w for w, _ in sizes[:1]])
    positions: dict[int, tuple[float, float]] = {}
    x = y = row_height = 0.0
    for box, (w, h) in zip(boxes, sizes, strict=True):
        if x > 0 and x + w > width:
            x, y, row_height = 0.0, y + row_height, 0.0
        for node, (px, py) in box.items():
            positions[node] = (x + px, y + py)
        x += w
        row_height = max(row_height, h)
    return positions
