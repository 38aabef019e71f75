"""`facegraph find` at a million stored faces: one reference photo, detection included.

    python bench/find.py [--faces 1000000] [--library DIR]

Builds (once, then reuses) a synthetic library in DuckDB: `--faces` encodings shaped like dlib's
(from bench/cluster_scale.py) plus the real faces of a few variants of matplotlib's Grace Hopper
photo. The reference is another variant of that photo, not in the library. Timed in this run:

- baseline: the exact search a face_recognition user writes: read every encoding from the
  library's DuckDB, then `face_recognition.face_distance` (numpy's norm of the differences);
- facegraph's first `find_faces` (it builds the cached matrix beside the library);
- facegraph's `find_faces` after that (median of 5): what every later search costs.

Both searches are exact; the bench checks that they find the same faces.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from cluster_scale import synthetic_faces  # noqa: E402

from facegraph import find_faces, ingest  # noqa: E402
from facegraph.artefacts import remove_encoding_cache  # noqa: E402
from facegraph.find import confidence  # noqa: E402
from facegraph.library import Library  # noqa: E402


def photos_of_grace(folder: Path) -> Path:
    """Four photos of Grace Hopper for the library; returns a fifth, the reference."""
    from conftest import grace_hopper, variant

    folder.mkdir(parents=True, exist_ok=True)
    for seed in range(4):
        variant(grace_hopper(), seed).save(folder / f"grace-{seed}.jpg", quality=90)
    reference = folder.parent / "reference.jpg"
    variant(grace_hopper(), 99).save(reference, quality=85)
    return reference


def build(library: Path, faces: int) -> Path:
    import pyarrow as pa

    reference = photos_of_grace(library.parent / "grace")
    if (library / "facegraph.duckdb").exists():
        return reference
    ingest([library.parent / "grace"], library, progress=False)
    encodings, _ = synthetic_faces(faces, seed=3)
    with Library.open(library, write=True) as lib:
        con = lib.connection
        images = (faces + 3) // 4  # four faces per photo
        con.execute(
            "INSERT INTO images (path, size_bytes, mtime_ns, status, face_count)"
            " SELECT 'synthetic/' || i || '.jpg', 1, 1, 'ok', 4 FROM range(?) t(i)",
            [images],
        )
        first = con.execute("SELECT min(image_id) FROM images WHERE path LIKE 'synthetic/%'")
        start = first.fetchall()[0][0]
        for offset in range(0, faces, 200_000):
            part = encodings[offset : offset + 200_000]
            rows = np.arange(offset, offset + len(part))
            table = pa.table(
                {
                    "image_id": pa.array(start + rows // 4, pa.int64()),
                    "face_index": pa.array(rows % 4, pa.int16()),
                    "encoding": pa.FixedSizeListArray.from_arrays(pa.array(part.ravel()), 128),
                }
            )
            con.register("synthetic", table)
            con.execute(
                "INSERT INTO faces (image_id, face_index, box_left, box_top, box_right,"
                " box_bottom, encoding) SELECT image_id, face_index, 0, 0, 1, 1, encoding"
                " FROM synthetic"
            )
            con.unregister("synthetic")
    return reference


def baseline(library: Path, reference: Path, limit: float) -> tuple[float, set[int]]:
    """Read every encoding, then face_recognition.face_distance; the reference's detection
    is facegraph's (the same in both)."""
    from facegraph import DetectionSettings, analyse_photo

    started = time.perf_counter()
    query = analyse_photo(str(reference), DetectionSettings()).faces[0].encoding
    with Library.open(library) as lib:
        table = lib.connection.sql(
            "SELECT face_id, encoding FROM faces WHERE encoding IS NOT NULL"
        ).to_arrow_table()
    face_ids = table.column("face_id").to_numpy()
    known = np.stack(table.column("encoding").to_numpy(zero_copy_only=False))
    distances = np.linalg.norm(known - query, axis=1)  # face_recognition.face_distance
    found = set(face_ids[distances <= limit].tolist())
    return time.perf_counter() - started, found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--faces", type=int, default=1_000_000)
    parser.add_argument("--library", type=Path, default=None)
    args = parser.parse_args()
    scratch = Path(tempfile.gettempdir()) / f"facegraph-bench-find-{args.faces}"
    library = args.library or scratch / "library"
    started = time.perf_counter()
    reference = build(library, args.faces)
    print(
        f"library of {args.faces:,} synthetic faces + 4 real: {time.perf_counter() - started:.0f} s"
    )
    find_faces(library, [reference])  # load the models once, outside the timings
    limit = confidence.distance_for(0.5)
    base_seconds, base_found = baseline(library, reference, limit)
    remove_encoding_cache(library)
    started = time.perf_counter()
    first = find_faces(library, [reference])
    first_seconds = time.perf_counter() - started
    runs = []
    for _ in range(5):
        started = time.perf_counter()
        result = find_faces(library, [reference])
        runs.append(time.perf_counter() - started)
    warm = statistics.median(runs)
    found = {m.face_id for m in result.matches}
    assert found == {m.face_id for m in first.matches} == base_found, "the searches disagree"
    print(f"searched {result.searched:,} faces; {len(found)} matches (the 4 real photos: {found})")
    print(f"baseline (read all from DuckDB + face_distance): {base_seconds:.2f} s")
    print(f"facegraph find, first (builds the cache):       {first_seconds:.2f} s")
    print(f"facegraph find, later (median of 5):            {warm:.2f} s")
    print(f"ratio baseline / facegraph later: {base_seconds / warm:.1f}x")


if __name__ == "__main__":
    main()
