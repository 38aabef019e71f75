"""The graph at scale: a synthetic library written straight into DuckDB (100k photos, 5k people,
~150k faces, heavy-tailed group sizes), then for Kùzu and ladybug (each in its own process: the
two cannot share one) a full build, an incremental sync after 100 new photos, the co-appearance
query, a 2-hop ego network and an HTML export of the top 500 people. In the same run the
co-appearance pairs are also computed by a DuckDB self-join and by networkx, as baselines.

    python bench/graph.py [--photos 100000] [--people 5000]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa


def synthetic_album(photos: int, people: int, seed: int = 0, first_id: int = 0):
    """(image ids, person ids) of every appearance: group sizes and popularity heavy-tailed."""
    rng = np.random.default_rng(seed)
    # group sizes: mostly 1-2 people, a long tail up to 40 (mean about 1.5)
    sizes = np.minimum(rng.zipf(2.6, photos), 40)
    popularity = 1.0 / np.arange(1, people + 1) ** 0.8
    popularity /= popularity.sum()
    image_ids, person_ids = [], []
    for offset, size in enumerate(sizes):
        members = rng.choice(people, size=size, replace=False, p=popularity) + 1
        image_ids.extend([first_id + offset + 1] * size)
        person_ids.extend(members.tolist())
    return sizes, np.array(image_ids), np.array(person_ids)


def write_library(library: Path, photos: int, people: int, first_id: int = 0, seed: int = 0):
    from facegraph.library import Library

    sizes, image_ids, person_ids = synthetic_album(photos, people, seed, first_id)
    ids = np.arange(first_id + 1, first_id + photos + 1)
    taken = pa.array(
        (np.datetime64("2015-01-01") + (ids % 3650).astype("timedelta64[D]")).astype(
            "datetime64[us]"
        )
    )
    images = pa.table(
        {
            "image_id": ids,
            "path": [f"/photos/{i:07d}.jpg" for i in ids],
            "face_count": sizes.astype(np.int32),
            "taken_at": taken,
        }
    )
    index = np.concatenate([np.arange(s) for s in sizes])
    faces = pa.table(
        {
            "image_id": image_ids,
            "face_index": index.astype(np.int16),
            "box_x": (index * 60).astype(np.int32),
            "person_id": person_ids,
        }
    )
    with Library.open(library, write=True) as lib:
        con = lib.connection
        if first_id == 0:
            con.execute(
                "INSERT INTO people (person_id) SELECT range + 1 FROM range($n)", {"n": people}
            )
        con.register("new_images", images)
        con.register("new_faces", faces)
        con.execute(
            "INSERT INTO images (image_id, path, size_bytes, mtime_ns, status, face_count,"
            " taken_at) SELECT image_id, path, 1, 1, 'ok', face_count, taken_at FROM new_images"
        )
        con.execute(
            "INSERT INTO faces (face_id, image_id, face_index, box_left, box_top, box_right,"
            " box_bottom, person_id, assigned_by)"
            " SELECT (SELECT coalesce(max(face_id), 0) FROM faces) + row_number() OVER (),"
            " image_id, face_index, box_x, 0, box_x + 50, 50, person_id, 'cluster' FROM new_faces"
        )
    return len(image_ids)


def timed(function, repeat: int = 1):
    best, result = float("inf"), None
    for _ in range(repeat):
        started = time.perf_counter()
        result = function()
        best = min(best, time.perf_counter() - started)
    return best, result


def engine_run(library: Path, engine: str) -> dict:
    """Runs in a child process: every graph step on one engine."""
    from facegraph import graph
    from facegraph.coappearance import queries as querying
    from facegraph.coappearance.export import export_network
    from facegraph.coappearance.filters import NetworkFilter

    figures = {}
    figures["build_s"], report = timed(lambda: graph.sync(library, engine, rebuild=True))
    figures["appearances"] = report.appearances
    write_library(library, 100, 5000, first_id=10_000_000, seed=1)
    figures["sync_100_photos_s"], report = timed(lambda: graph.sync(library, engine))
    figures["sync_mode"] = report.mode
    figures["sync_nothing_changed_s"], _ = timed(lambda: graph.sync(library, engine))
    with graph.open_graph(library, engine) as g:
        co = querying.builtin_query("co_appearance")
        params = querying.bind(co, {})
        figures["coappearance_s"], pairs = timed(lambda: g.execute(co.text, params), repeat=3)
        figures["pairs"] = pairs.num_rows
        ego = querying.builtin_query("ego_network")
        ego_params = querying.bind(ego, {"person_id": 100, "hops": 2})
        figures["ego_2_hops_s"], rows = timed(lambda: g.execute(ego.text, ego_params), repeat=3)
        figures["ego_people"] = rows.num_rows
    out = library / "top500.html"
    figures["html_top500_s"], _ = timed(
        lambda: export_network(library, "html", out, NetworkFilter(top=500), engine=engine)
    )
    figures["html_mb"] = round(out.stat().st_size / 1e6, 2)
    return figures


def baselines(library: Path) -> dict:
    """The same pairs from a DuckDB self-join and from networkx."""
    import networkx as nx
    from networkx.algorithms import bipartite

    from facegraph.coappearance import queries as querying
    from facegraph.library import Library

    figures = {}
    query = querying.builtin_query("co_appearance_duckdb")
    with Library.open(library) as lib:
        params = querying.bind(query, {})
        figures["duckdb_coappearance_s"], pairs = timed(
            lambda: lib.connection.sql(query.text, params=params).to_arrow_table(), repeat=3
        )
        figures["duckdb_pairs"] = pairs.num_rows
        rows = lib.connection.sql("SELECT person_id, image_id FROM appearances").fetchall()

    def with_networkx():
        b = nx.Graph()
        b.add_edges_from((p, -i) for p, i in rows)
        return bipartite.weighted_projected_graph(b, {p for p, _ in rows})

    figures["networkx_coappearance_s"], projected = timed(with_networkx)
    figures["networkx_pairs"] = projected.number_of_edges()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=100_000)
    parser.add_argument("--people", type=int, default=5_000)
    parser.add_argument("--child", nargs=2, metavar=("LIBRARY", "ENGINE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(engine_run(Path(args.child[0]), args.child[1])))
        return
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "source"
        started = time.perf_counter()
        faces = write_library(source, args.photos, args.people)
        print(
            f"synthetic library: {args.photos} photos, {args.people} people, {faces} faces "
            f"({time.perf_counter() - started:.1f} s to write)"
        )
        results = {"baselines": baselines(source)}
        for engine in ("kuzu", "ladybug"):
            library = Path(tmp) / engine
            shutil.copytree(source, library)
            done = subprocess.run(
                [sys.executable, __file__, "--child", str(library), engine],
                capture_output=True,
                text=True,
                check=False,
            )
            if done.returncode:
                print(f"{engine}: failed\n{done.stderr[-2000:]}")
                continue
            results[engine] = json.loads(done.stdout.strip().splitlines()[-1])
    base = results["baselines"]
    print(
        f"\nco-appearance pairs: DuckDB self-join {base['duckdb_coappearance_s']:.2f} s "
        f"({base['duckdb_pairs']} pairs), networkx {base['networkx_coappearance_s']:.2f} s "
        f"({base['networkx_pairs']} pairs)"
    )
    steps = [
        ("full build", "build_s", 20.0),
        ("sync after 100 new photos", "sync_100_photos_s", 5.0),
        ("sync, nothing changed", "sync_nothing_changed_s", None),
        ("co-appearance query", "coappearance_s", 2.0),
        ("ego network, 2 hops", "ego_2_hops_s", None),
        ("HTML export, top 500", "html_top500_s", None),
    ]
    engines = [e for e in ("kuzu", "ladybug") if e in results]
    print(f"\n{'step':<28}" + "".join(f"{e:>10}" for e in engines) + "  target")
    for label, key, target in steps:
        cells = "".join(f"{results[e][key]:>9.2f}s" for e in engines)
        print(f"{label:<28}{cells}  {f'<= {target:g} s' if target else ''}")
    for e in engines:
        r = results[e]
        versus_duckdb = base["duckdb_coappearance_s"] / r["coappearance_s"]
        versus_networkx = base["networkx_coappearance_s"] / r["coappearance_s"]
        print(
            f"\n{e}: {r['appearances']} appearances, {r['pairs']} pairs, sync mode "
            f"{r['sync_mode']}, ego network {r['ego_people']} people, page {r['html_mb']} MB; "
            f"co-appearance at {versus_duckdb:.2f}x DuckDB's speed, "
            f"{versus_networkx:.2f}x networkx's"
        )


if __name__ == "__main__":
    main()
