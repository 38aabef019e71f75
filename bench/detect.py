"""Face detectors side by side: ms per photo by photo size, and faces found on the group photos.

    python bench/detect.py [PHOTO_DIR] [--repeat N] [--skip-cnn]

PHOTO_DIR defaults to ../shared/faces (or $FACEGRAPH_SHARED_FACES). Everything runs in this
process on one core (one ONNX Runtime thread; dlib is single-threaded), each detector as ingest
runs it: the photo decoded as ingest decodes it, searched at the detector's scale, landmarks
included (`locate_faces`). Detectors: ``auto`` (RetinaFace, the default), ``hog`` (the default
before) and ``cnn`` (dlib's MMOD on ONNX Runtime, at upsample 0).

1. ms per photo for the group photos resampled to long sides of 640 to 4000 px; the ratio is
   HOG's time over RetinaFace's in the same run;
2. faces found in each group photo by each detector, beside the count in MANIFEST.csv.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import sys
import time
from pathlib import Path

os.environ["FACEGRAPH_ONNX_THREADS"] = "1"
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PIL import Image  # noqa: E402

from facegraph import DetectionSettings  # noqa: E402
from facegraph.ingestion.analyse import locate_faces  # noqa: E402
from facegraph.ingestion.decode import decode_photo  # noqa: E402

SIZES = (640, 1080, 2000, 4000)


def default_photo_dir() -> Path:
    configured = os.environ.get("FACEGRAPH_SHARED_FACES")
    return Path(configured) if configured else Path(__file__).resolve().parents[2] / "shared/faces"


def detectors(skip_cnn: bool) -> dict[str, DetectionSettings]:
    chosen = {
        "auto": DetectionSettings(),
        "hog": DetectionSettings(detector="hog"),
        "cnn": DetectionSettings(detector="cnn", upsample=0, cnn_runtime="onnx"),
    }
    if skip_cnn:
        del chosen["cnn"]
    return {name: settings.resolved() for name, settings in chosen.items()}


def resampled_jpeg(path: Path, long_side: int) -> bytes:
    image = Image.open(path).convert("RGB")
    ratio = long_side / max(image.size)
    image = image.resize((round(image.width * ratio), round(image.height * ratio)))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


def faces_found(data: bytes, settings: DetectionSettings) -> int:
    decoded = decode_photo(data, max_side=settings.max_side * 2**settings.upsample)
    boxes, _ = locate_faces(decoded.pixels, settings, decoded.info.width)
    return len(boxes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("photos", nargs="?", type=Path, default=default_photo_dir())
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--skip-cnn", action="store_true", help="leave out dlib's MMOD CNN")
    args = parser.parse_args()
    groups = sorted((args.photos / "groups").glob("*.jpg"))
    if not groups:
        sys.exit(f"no group photos under {args.photos / 'groups'}")
    chosen = detectors(args.skip_cnn)
    for settings in chosen.values():  # load every model before timing
        faces_found(resampled_jpeg(groups[0], 640), settings)

    print(f"{len(groups)} group photos from {args.photos}, one core")
    print("ms per photo (decode, search, landmarks), by the photo's long side:")
    print(f"{'long side':>10}" + "".join(f"{name:>10}" for name in chosen) + f"{'hog/auto':>10}")
    for side in SIZES:
        photos = [resampled_jpeg(path, side) for path in groups]
        times = {}
        for name, settings in chosen.items():
            started = time.perf_counter()
            for _ in range(args.repeat):
                for data in photos:
                    faces_found(data, settings)
            times[name] = (time.perf_counter() - started) * 1000 / (args.repeat * len(photos))
        print(
            f"{side:>10}"
            + "".join(f"{times[name]:>10.0f}" for name in chosen)
            + f"{times['hog'] / times['auto']:>9.1f}x"
        )

    expected = {}
    with open(args.photos / "MANIFEST.csv", newline="") as handle:
        for row in csv.DictReader(handle):
            expected[row["path"]] = row["expected_faces"] or "?"
    print("\nfaces found in each group photo (as stored):")
    print(f"{'photo':<36}{'expected':>9}" + "".join(f"{name:>7}" for name in chosen))
    totals = dict.fromkeys(chosen, 0)
    for path in groups:
        data = path.read_bytes()
        counts = {name: faces_found(data, settings) for name, settings in chosen.items()}
        for name, count in counts.items():
            totals[name] += count
        print(
            f"{path.name:<36}{expected.get(f'groups/{path.name}', '?'):>9}"
            + "".join(f"{counts[name]:>7}" for name in chosen)
        )
    print(f"{'total':<36}{'':>9}" + "".join(f"{totals[name]:>7}" for name in chosen))
    print(f"ratio: RetinaFace finds {totals['auto'] / max(totals['hog'], 1):.2f}x HOG's faces")


if __name__ == "__main__":
    main()
