"""dlib's face networks on dlib-bin against the same networks on ONNX Runtime, in one run.

    python bench/models.py [PHOTO_DIR] [--photos N] [--faces N] [--skip-ingest]

PHOTO_DIR defaults to ../shared/faces (or $FACEGRAPH_SHARED_FACES). Everything runs on one core
(one ONNX Runtime thread; dlib is single-threaded) on the same inputs, and prints:

1. the face encoder, ms per face: dlib's ``compute_face_descriptor`` on aligned chips against the
   converted graph, one face at a time and in batches of 8 and 32;
2. the detectors, ms per photo on the same photos at the same size (long side 1080 px, as
   facegraph searches at upsample 0): dlib's HOG, dlib's MMOD CNN and the MMOD CNN on ONNX;
3. end-to-end ingest of PHOTO_DIR (default settings, all cores): photos/s with the dlib encoder
   ("before") and with the ONNX encoder ("after").
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

os.environ["FACEGRAPH_ONNX_THREADS"] = "1"
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from facegraph import DetectionSettings, ingest  # noqa: E402
from facegraph.faces import detect as face_ops  # noqa: E402
from facegraph.faces.encode import DlibEncoder, OnnxEncoder  # noqa: E402
from facegraph.faces.mmod import MmodDetector  # noqa: E402
from facegraph.ingestion.analyse import locate_faces  # noqa: E402
from facegraph.ingestion.decode import is_photo_path  # noqa: E402


def default_photo_dir() -> Path:
    configured = os.environ.get("FACEGRAPH_SHARED_FACES")
    return Path(configured) if configured else Path(__file__).resolve().parents[2] / "shared/faces"


def load(path: Path, side: int = 1080) -> np.ndarray:
    image = Image.open(path).convert("RGB")
    ratio = side / max(image.size)
    image = image.resize((round(image.width * ratio), round(image.height * ratio)))
    return np.asarray(image)


def per_item_ms(function, items, repeat: int = 1) -> float:
    function(items[0])  # warm up
    started = time.perf_counter()
    for _ in range(repeat):
        for item in items:
            function(item)
    return (time.perf_counter() - started) * 1000 / (repeat * len(items))


def bench_encoder(photos: list[Path], count: int) -> None:
    chips = []
    for path in photos:
        pixels = load(path)
        _, shapes = locate_faces(pixels, DetectionSettings(), pixels.shape[1])
        chips.extend(face_ops.face_chips(pixels, shapes))
        if len(chips) >= count:
            break
    chips = np.stack(chips[:count])
    dlib_encoder, onnx_encoder = DlibEncoder(), OnnxEncoder(threads=1)
    dlib_ms = per_item_ms(lambda c: dlib_encoder.encode(c[None]), chips[:16])
    diff = np.abs(dlib_encoder.encode(chips) - onnx_encoder.encode(chips)).max()
    print(f"\nface encoder, {len(chips)} faces, one core (max |dlib - onnx| = {diff:.1e})")
    print(f"{'':24}{'ms/face':>10}{'x dlib':>9}")
    print(f"{'dlib-bin, one face':24}{dlib_ms:>10.1f}{1:>9.1f}")
    for batch in (1, 8, 32):
        groups = [chips[i : i + batch] for i in range(0, len(chips) - batch + 1, batch)]
        ms = per_item_ms(onnx_encoder.encode, groups, repeat=max(1, 64 // len(chips))) / batch
        label = "ONNX, one face" if batch == 1 else f"ONNX, batches of {batch}"
        print(f"{label:24}{ms:>10.1f}{dlib_ms / ms:>9.1f}")


def bench_detectors(photos: list[Path]) -> None:
    images = [load(path) for path in photos]
    megapixels = np.mean([i.shape[0] * i.shape[1] for i in images]) / 1e6
    hog = face_ops.detect_faces  # dlib's HOG, as facegraph calls it
    dlib_cnn = face_ops._cnn_detector()
    onnx_cnn = MmodDetector(threads=1)
    hog_ms = per_item_ms(lambda i: hog(i, "hog", 0), images)
    cnn_ms = per_item_ms(lambda i: dlib_cnn(i, 0), images[: max(3, len(images) // 4)])
    onnx_ms = per_item_ms(onnx_cnn.detect, images)

    def ours(image):
        return sorted(
            (d.rect.left, d.rect.top, d.rect.right, d.rect.bottom) for d in onnx_cnn.detect(image)
        )

    def theirs(image):
        rects = [d.rect for d in dlib_cnn(image, 0)]
        return sorted((r.left(), r.top(), r.right(), r.bottom()) for r in rects)

    same = sum(ours(image) == theirs(image) for image in images[:8])
    print(f"\ndetectors, {len(images)} photos of {megapixels:.2f} MP, one core")
    print(f"{'':24}{'ms/photo':>10}{'x HOG':>9}")
    for label, ms in (("dlib HOG", hog_ms), ("dlib MMOD CNN", cnn_ms), ("ONNX MMOD CNN", onnx_ms)):
        print(f"{label:24}{ms:>10.0f}{hog_ms / ms:>9.2f}")
    print(f"ONNX CNN vs dlib CNN: {cnn_ms / onnx_ms:.1f}x faster;", end=" ")
    print(f"identical boxes on {same}/8 photos")


def bench_ingest(photo_dir: Path) -> None:
    rates = {}
    for encoder in ("dlib", "onnx"):
        with tempfile.TemporaryDirectory() as library:
            started = time.perf_counter()
            report = ingest([photo_dir], library, settings=DetectionSettings(encoder=encoder))
            seconds = time.perf_counter() - started
        rates[encoder] = report.processed / seconds
        print(
            f"ingest, {encoder} encoder: {report.processed} photos, {report.faces_added} faces,"
            f" {seconds:.1f} s, {rates[encoder]:.2f} photos/s"
        )
    print(f"ingest speed-up (ONNX / dlib encoder): {rates['onnx'] / rates['dlib']:.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("photo_dir", nargs="?", type=Path, default=default_photo_dir())
    parser.add_argument("--photos", type=int, default=24, help="photos for the detector bench")
    parser.add_argument("--faces", type=int, default=64, help="faces for the encoder bench")
    parser.add_argument("--skip-ingest", action="store_true")
    args = parser.parse_args()
    photos = sorted(p for p in args.photo_dir.rglob("*") if is_photo_path(str(p)))
    if not photos:
        sys.exit(f"no photos in {args.photo_dir}")
    bench_encoder(photos, args.faces)
    step = max(1, len(photos) // args.photos)
    bench_detectors(photos[::step][: args.photos])
    if not args.skip_ingest:
        print()
        bench_ingest(args.photo_dir)


if __name__ == "__main__":
    main()
