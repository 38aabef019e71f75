"""Ingest on Dask: the local worker pool against a LocalCluster on the same cores, and how fast
the one writer commits, in one run.

    python bench/dask_ingest.py [PHOTO_DIR] [--synthetic 4000] [--skip-ingest]

PHOTO_DIR defaults to ../shared/faces. Prints:

1. photos/s of ``ingest`` with the local pool and with ``--scheduler local`` (one single-thread
   worker process per core), alternated, best of two each, and the overhead (target <= 10 %);
2. the writer's commit rate in photos/s with synthetic results (1.6 faces a photo, real-sized
   crops and encodings) as streamed results (`store_results.write_results`, what ingest does)
   and, for
   the comparison the issue asks for, as Parquet shards a worker would write and the writer
   would merge (`read_parquet` into the tables); and the ratio to one worker's rate from (1).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from facegraph import ingest  # noqa: E402
from facegraph.ingestion import store_results  # noqa: E402
from facegraph.ingestion.decode import is_photo_path  # noqa: E402
from facegraph.ingestion.records import FaceRecord, PhotoResult  # noqa: E402
from facegraph.library import Library  # noqa: E402


def default_photo_dir() -> Path:
    configured = os.environ.get("FACEGRAPH_SHARED_FACES")
    return Path(configured) if configured else Path(__file__).resolve().parents[2] / "shared/faces"


def bench_ingest(folder: Path) -> float:
    photos = sum(1 for p in folder.rglob("*") if is_photo_path(p))
    seconds: dict[str, list[float]] = {"pool": [], "dask": []}
    for mode in ("pool", "dask", "dask", "pool"):
        with tempfile.TemporaryDirectory() as tmp:
            started = time.perf_counter()
            ingest([folder], Path(tmp) / "library", progress=False,
                   scheduler="local" if mode == "dask" else None)  # fmt: skip
            seconds[mode].append(time.perf_counter() - started)
    pool, dask = min(seconds["pool"]), min(seconds["dask"])
    cores = os.cpu_count() or 1
    print(f"ingest of {photos} photos on {cores} cores, best of two each:")
    print(f"  local pool           {pool:6.1f} s  {photos / pool:5.1f} photos/s")
    print(f"  LocalCluster         {dask:6.1f} s  {photos / dask:5.1f} photos/s"
          f"  overhead {100 * (dask / pool - 1):+.1f} % (target <= 10 %)")  # fmt: skip
    return photos / pool / cores  # one worker's rate


def synthetic_results(count: int, seed: int = 0) -> list[PhotoResult]:
    rng = np.random.default_rng(seed)
    crop = bytes(rng.integers(0, 256, 9_000, dtype=np.uint8))  # a typical face crop's size
    results = []
    for i in range(count):
        faces = [
            FaceRecord(
                (10, 10, 110, 110),
                1.0,
                rng.random((5, 2), np.float32) * 100,
                rng.standard_normal(128).astype(np.float32),
                crop,
                50.0,
                None,
            )  # fmt: skip
            for _ in range(1 + (i % 5 == 0) + (i % 3 == 0))  # 1.5-1.6 faces a photo
        ]
        results.append(PhotoResult(f"/archive/{i:08d}.jpg", 1000, i, "ok", faces=faces,
                                   width=1600, height=1200))  # fmt: skip
    return results


def bench_writer(count: int, worker_rate: float) -> None:
    results = synthetic_results(count)
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        for start in range(0, count, 16):  # ingest's batches: 16 photos a commit
            with Library.open(Path(tmp) / "library", write=True) as lib:
                batch = results[start : start + 16]
                store_results.write_results(lib.connection, batch, "synthetic")
        streamed = count / (time.perf_counter() - started)
    with tempfile.TemporaryDirectory() as tmp:
        shards = bench_parquet(results, Path(tmp))
    print(f"writer, {count} synthetic photos:")
    print(f"  streamed results     {streamed:7.0f} photos/s  = {streamed / worker_rate:5.0f}x one"
          f" worker ({worker_rate:.1f} photos/s)")  # fmt: skip
    print(f"  Parquet shards       {shards:7.0f} photos/s merged (plus the workers' writes and a"
          " shared file system)")  # fmt: skip


def bench_parquet(results: list[PhotoResult], folder: Path) -> float:
    """Workers write a shard per 64 photos; the writer merges each shard in one statement."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    shards = []
    for start in range(0, len(results), 64):
        rows = [(r.path, f.box, f.encoding, f.crop_jpeg) for r in results[start : start + 64]
                for f in r.faces]  # fmt: skip
        table = pa.table({
            "path": [r[0] for r in rows],
            "box_left": [r[1][0] for r in rows],
            "encoding": pa.FixedSizeListArray.from_arrays(
                pa.array(np.concatenate([r[2] for r in rows])), 128),
            "crop_jpeg": [r[3] for r in rows],
        })  # fmt: skip
        shards.append(folder / f"shard-{start:08d}.parquet")
        pq.write_table(table, shards[-1])
    started = time.perf_counter()
    with Library.open(folder / "library", write=True) as lib:
        con = lib.connection
        con.execute(
            "CREATE TABLE merged AS SELECT * FROM read_parquet(?) LIMIT 0", [str(shards[0])]
        )
        for shard in shards:
            con.execute("INSERT INTO merged SELECT * FROM read_parquet(?)", [str(shard)])
    return len(results) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("photo_dir", nargs="?", type=Path, default=default_photo_dir())
    parser.add_argument("--synthetic", type=int, default=4000)
    parser.add_argument("--skip-ingest", action="store_true")
    args = parser.parse_args()
    worker_rate = 2.6 if args.skip_ingest else bench_ingest(args.photo_dir)
    bench_writer(args.synthetic, worker_rate)


if __name__ == "__main__":
    main()
