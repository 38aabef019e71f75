"""Faces made from named XMP regions (issue 22): how close their encoding comes to the one the
detector gives the same face, when the region is drawn loosely, as people draw them (1.2-1.6
times the face, shifted up to a tenth of it). Baseline: the region's own box, landmarked by
dlib; facegraph: RetinaFace searching the region alone with low scores
(`ingestion.regions.face_in_region`). Also the time each adds per region, in the same run.

    python bench/region_faces.py [--photos ../shared/faces/groups]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from facegraph.faces import detect as face_ops  # noqa: E402
from facegraph.faces.detect import DetectedFace  # noqa: E402
from facegraph.faces.encode import face_encoder  # noqa: E402
from facegraph.ingestion import analyse  # noqa: E402
from facegraph.ingestion.decode import decode_photo  # noqa: E402
from facegraph.ingestion.regions import face_in_region  # noqa: E402
from facegraph.ingestion.settings import DetectionSettings  # noqa: E402

SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "faces" / "groups"


def loose_region(box: DetectedFace, rng, width: int, height: int) -> DetectedFace:
    grow = rng.uniform(0.1, 0.3)
    dx, dy = rng.uniform(-0.1, 0.1, 2)
    w, h = box.width, box.height
    return DetectedFace(
        max(0, round(box.left - grow * w + dx * w)),
        max(0, round(box.top - 1.5 * grow * h + dy * h)),  # people include the hair
        min(width, round(box.right + grow * w + dx * w)),
        min(height, round(box.bottom + 0.5 * grow * h + dy * h)),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=Path, default=SHARED)
    args = parser.parse_args()
    settings = DetectionSettings(regions=False)
    encoder = face_encoder("auto")
    rng = np.random.default_rng(0)
    distances: dict[str, list[float]] = {"region box": [], "searched in region": []}
    seconds = {"region box": 0.0, "searched in region": 0.0}
    for path in sorted(args.photos.glob("*.jpg")):
        decoded = decode_photo(path.read_bytes(), max_side=2160)
        pixels = decoded.pixels
        boxes, shapes = analyse.locate_faces(pixels, settings, decoded.info.width)
        if not boxes:
            continue
        reference = encoder.encode(face_ops.face_chips(pixels, shapes), 1)
        for box, wanted in zip(boxes, reference, strict=True):
            region = loose_region(box, rng, pixels.shape[1], pixels.shape[0])
            for name in distances:
                started = time.perf_counter()
                used = region if name == "region box" else face_in_region(pixels, region)
                shape = face_ops.face_landmarks(pixels, used)
                seconds[name] += time.perf_counter() - started
                found = encoder.encode(face_ops.face_chips(pixels, [shape]), 1)[0]
                distances[name].append(float(np.linalg.norm(found - wanted)))
    count = len(distances["region box"])
    print(f"{count} faces of {args.photos}; distance to the detector's encoding of the face:")
    for name, values in distances.items():
        v = np.array(values)
        print(
            f"  {name:<20} median {np.median(v):.3f}  p90 {np.quantile(v, 0.9):.3f}"
            f"  over 0.4 (another person, for the encoder): {(v > 0.4).mean():.1%}"
            f"  {seconds[name] / count * 1000:.1f} ms per region"
        )
    ratio = np.quantile(distances["region box"], 0.9) / np.quantile(
        distances["searched in region"], 0.9
    )
    print(f"p90 distance, region box / searched in region: {ratio:.2f}x")


if __name__ == "__main__":
    main()
