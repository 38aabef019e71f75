"""Ingest throughput: facegraph against the old face-network tool's per-photo pipeline.

    python bench/ingest.py [PHOTO_DIR] [--workers N] [--limit N]

PHOTO_DIR defaults to ../shared/faces (or $FACEGRAPH_SHARED_FACES). Both runs happen in this
process, on the same photos, one after the other, and the ratio is printed.

The baseline does what face-network's ``extract`` did for each photo, with one worker: decode
the whole photo, resize it so its long side is 1080 px (small photos are enlarged), run dlib's
HOG detector with upsample 1, then for each face cut a crop with a 40 % margin and call
face_recognition-style encoding on the crop, which detects the face again (HOG, upsample 1)
before encoding it; when that second detection finds nothing the old tool gave up on the rest
of the photo (its ``break``), and so does the baseline.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from facegraph import DetectionSettings, ingest  # noqa: E402
from facegraph.faces import detect as face_ops  # noqa: E402
from facegraph.ingestion.decode import is_photo_path  # noqa: E402
from facegraph.ingestion.run import default_workers  # noqa: E402


def default_photo_dir() -> Path:
    configured = os.environ.get("FACEGRAPH_SHARED_FACES")
    return Path(configured) if configured else Path(__file__).resolve().parents[2] / "shared/faces"


def old_tool_photo(path: Path) -> int:
    """face-network's crop_face on one photo; returns the number of faces it encoded."""
    image = Image.open(path).convert("RGB")
    ratio = 1080 / max(image.size)
    size = (int(image.width * ratio), int(image.height * ratio))
    image = image.resize(size, Image.Resampling.BOX if ratio < 1 else Image.Resampling.BILINEAR)
    pixels = np.asarray(image)
    height, width = pixels.shape[:2]
    encoded = 0
    for face in face_ops.detect_faces(pixels, "hog", upsample=1):
        margin_x, margin_y = 0.4 * face.width, 0.4 * face.height
        x0, y0 = max(int(face.left - margin_x), 0), max(int(face.top - margin_y), 0)
        x1, y1 = (
            min(int(face.right + margin_x), width - 1),
            min(int(face.bottom + margin_y), height - 1),
        )
        crop = np.ascontiguousarray(pixels[y0 : y1 + 1, x0 : x1 + 1])
        # face_recognition.face_encodings(crop): detect again, then landmarks and encoding
        again = face_ops.detect_faces(crop, "hog", upsample=1)
        shapes = [face_ops.face_landmarks(crop, box) for box in again]
        encodings = face_ops.encode_faces(crop, shapes)
        if len(encodings) == 0:
            break
        encoded += 1
    return encoded


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("photos", nargs="?", type=Path, default=default_photo_dir())
    parser.add_argument("--workers", type=int, default=default_workers())
    parser.add_argument("--limit", type=int, default=0, help="use only the first N photos")
    args = parser.parse_args()

    paths = sorted(p for p in args.photos.rglob("*") if p.is_file() and is_photo_path(p.name))
    if args.limit:
        paths = paths[: args.limit]
    if not paths:
        sys.exit(f"no photos under {args.photos}")
    face_ops.load_models()

    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch) / "photos"
        folder.mkdir()
        for i, path in enumerate(paths):  # the same files, flat, so --limit is honoured
            (folder / f"{i:05d}{path.suffix.lower()}").symlink_to(path)
        started = time.perf_counter()
        report = ingest(
            [folder],
            Path(scratch) / "library",
            settings=DetectionSettings(),
            workers=args.workers,
            progress=False,
        )
        ours_seconds = time.perf_counter() - started
        assert not report.errors, report.errors

    started = time.perf_counter()
    old_faces = sum(old_tool_photo(path) for path in paths)
    old_seconds = time.perf_counter() - started

    photos = len(paths)
    print(f"{photos} photos from {args.photos}, {os.cpu_count()} cores")
    print(f"{'pipeline':<34}{'photos/s':>10}{'faces/s':>10}{'ms/face':>10}{'faces':>8}")
    for name, seconds, found in (
        ("old tool (1 worker, re-detect)", old_seconds, old_faces),
        (f"facegraph ({args.workers} workers, DuckDB)", ours_seconds, report.faces_added),
    ):
        print(
            f"{name:<34}{photos / seconds:>10.2f}{found / seconds:>10.2f}"
            f"{1000 * seconds / max(found, 1):>10.1f}{found:>8}"
        )
    print(
        f"ratio: facegraph is {old_seconds / ours_seconds:.2f}x the old tool's photos/s, "
        f"finding {report.faces_added - old_faces:+d} faces"
    )


if __name__ == "__main__":
    main()
