"""Clustering at scale on synthetic encodings shaped like dlib's.

    python bench/cluster_scale.py [--sizes 10000 100000 1000000]

Identities are tight clusters (faces of one person 0.3-0.45 apart, people about 0.9 apart, as
dlib's encodings are), with heavy-tailed sizes. Each size runs in its own process so its peak
memory (max RSS) is its own. The baseline is the old tool's Chinese whispers: all pairs of
faces compared, a networkx graph, 20 rounds of label propagation in Python, at 5k faces;
facegraph's default clusters the same 5k faces in the same run for the ratio. Last, 1k new
faces are assigned incrementally to a 100k-face library stored in DuckDB (`facegraph cluster`).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from facegraph.people.clustering import cluster_faces  # noqa: E402
from facegraph.people.metrics import bcubed_scores  # noqa: E402
from facegraph.people.params import ClusterParams  # noqa: E402


def synthetic_faces(count: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``(encodings, identity)``: identities of 1 to ~200 faces (Zipf-like), dlib-like spread."""
    rng = np.random.default_rng(seed)
    sizes = np.minimum(rng.zipf(1.8, size=count), 200)
    identity = np.repeat(np.arange(len(sizes)), sizes)[:count]
    people = int(identity.max()) + 1
    centres = rng.normal(size=(people, 128)).astype(np.float32)
    centres *= 0.64 / np.linalg.norm(centres, axis=1, keepdims=True)
    encodings = centres[identity]
    encodings += rng.normal(scale=0.026, size=encodings.shape).astype(np.float32)
    return encodings, identity


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def old_tool_chinese_whispers(encodings: np.ndarray, threshold: float = 0.5) -> np.ndarray:
    """face-network's chinese_whispers: O(n^2) distances, networkx, 20 Python rounds."""
    import networkx as nx

    graph = nx.Graph()
    graph.add_nodes_from((i, {"cluster": i}) for i in range(len(encodings)))
    for i in range(len(encodings) - 1):
        distances = np.linalg.norm(encodings[i + 1 :] - encodings[i], axis=1)
        for j in np.flatnonzero(distances < threshold):
            graph.add_edge(i, i + 1 + int(j), weight=float(distances[j]))
    for _ in range(20):
        for node in graph.nodes():
            totals: dict[int, float] = {}
            for neighbour in graph[node]:
                label = graph.nodes[neighbour]["cluster"]
                totals[label] = totals.get(label, 0.0) + graph[node][neighbour]["weight"]
            if totals:
                graph.nodes[node]["cluster"] = max(totals, key=totals.get)
    return np.array([graph.nodes[i]["cluster"] for i in range(len(encodings))])


def run_one(size: int) -> dict:
    encodings, identity = synthetic_faces(size)
    photos = np.arange(size)
    started = time.perf_counter()
    labels = cluster_faces(encodings, photos, ClusterParams())
    seconds = time.perf_counter() - started
    precision, recall, f = bcubed_scores(identity, labels)
    return {"size": size, "seconds": seconds, "peak_mib": peak_mib(), "bcubed_f": f}


def run_baseline(size: int) -> dict:
    encodings, identity = synthetic_faces(size)
    started = time.perf_counter()
    labels = old_tool_chinese_whispers(encodings)
    seconds = time.perf_counter() - started
    return {
        "size": size,
        "seconds": seconds,
        "peak_mib": peak_mib(),
        "bcubed_f": bcubed_scores(identity, labels)[2],
    }


def run_incremental(library_size: int, new: int) -> dict:
    """1k unassigned faces added to a clustered library of `library_size` faces in DuckDB."""
    import pyarrow as pa

    from facegraph import cluster_people
    from facegraph.library import Library
    from facegraph.people.store import new_people

    encodings, identity = synthetic_faces(library_size + new, seed=1)
    order = np.random.default_rng(2).permutation(len(encodings))
    encodings, identity = encodings[order], identity[order]
    with tempfile.TemporaryDirectory() as scratch:
        with Library.open(scratch, write=True) as lib:
            con = lib.connection
            count = len(encodings)
            con.execute(
                "INSERT INTO images (image_id, path, size_bytes, mtime_ns, status,"
                " face_count) SELECT i, 'photo' || i, 1, 1, 'ok', 1 FROM range(?) t(i)",
                [count],
            )
            people = np.unique(identity[:library_size])
            ids = new_people(con, len(people))
            lookup = np.full(int(identity.max()) + 1, -1)
            lookup[people] = ids
            person = np.where(np.arange(count) < library_size, lookup[identity], -1)
            table = pa.table(
                {
                    "image_id": pa.array(np.arange(count, dtype=np.int64)),
                    "person_id": pa.array([None if p < 0 else int(p) for p in person], pa.int64()),
                    "encoding": pa.FixedSizeListArray.from_arrays(pa.array(encodings.ravel()), 128),
                }
            )
            con.register("synthetic", table)
            con.execute(
                "INSERT INTO faces (image_id, face_index, box_left, box_top, box_right,"
                " box_bottom, encoding, person_id, assigned_by) SELECT image_id, 0, 0, 0,"
                " 1, 1, encoding, person_id, 'cluster' FROM synthetic"
            )
        started = time.perf_counter()
        report = cluster_people(scratch)
        seconds = time.perf_counter() - started
    return {
        "library": library_size,
        "new": new,
        "seconds": seconds,
        "mode": report.mode,
        "joined": report.assigned_to_existing,
        "peak_mib": peak_mib(),
    }


def in_subprocess(kind: str, *numbers: int) -> dict:
    done = subprocess.run(
        [sys.executable, __file__, "--one", kind, *map(str, numbers)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--one", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        kind, *numbers = args.one
        run = {"ours": run_one, "baseline": run_baseline, "incremental": run_incremental}[kind]
        print(json.dumps(run(*map(int, numbers))))
        return
    baseline = in_subprocess("baseline", 5_000)
    ours_small = in_subprocess("ours", 5_000)
    print(f"{'faces':>9} {'method':<34}{'seconds':>9}{'peak MiB':>10}{'BCubed F':>10}")
    print(
        f"{5000:>9} {'old tool: O(n^2) whispers in Python':<34}{baseline['seconds']:>9.1f}"
        f"{baseline['peak_mib']:>10.0f}{baseline['bcubed_f']:>10.3f}"
    )
    for result in [ours_small] + [in_subprocess("ours", size) for size in args.sizes]:
        seconds, peak, f = result["seconds"], result["peak_mib"], result["bcubed_f"]
        name = "facegraph default (consensus)"
        print(f"{result['size']:>9} {name:<34}{seconds:>9.1f}{peak:>10.0f}{f:>10.3f}")
    ratio = baseline["seconds"] / ours_small["seconds"]
    print(f"ratio at 5k faces: facegraph is {ratio:.0f}x faster than the old tool")
    incremental = in_subprocess("incremental", 100_000, 1_000)
    print(
        f"incremental: {incremental['new']} new faces into a {incremental['library']}-face "
        f"library: {incremental['seconds']:.2f} s, {incremental['joined']} joined existing "
        f"people, peak {incremental['peak_mib']:.0f} MiB"
    )


if __name__ == "__main__":
    main()
