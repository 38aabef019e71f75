"""Video throughput: facegraph's analysis of a 1080p video (a frame a second: decode, detect,
encode, follow) against decoding the same video alone, in the same run, and against real time;
then a whole `facegraph.ingest` of it in parts (`--part` seconds) on every core.

    python bench/video.py [--seconds 60] [--every 1.0] [--part 15]

The video is made here with PyAV from package photos: people side by side, panning, with a cut
every 15 seconds, 25 frames a second, H.264 at 1920x1080.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import av
import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from conftest import astronaut, grace_hopper  # noqa: E402

import facegraph  # noqa: E402
from facegraph import DetectionSettings  # noqa: E402
from facegraph.ingestion.analyse_video import analyse_video_part  # noqa: E402
from facegraph.ingestion.run import default_workers  # noqa: E402
from facegraph.ingestion.video import part_path  # noqa: E402

RATE = 25


def make_video(path: Path, seconds: int) -> None:
    out = av.open(str(path), "w")
    stream = out.add_stream("libx264", rate=RATE)
    stream.width, stream.height, stream.pix_fmt = 1920, 1080, "yuv420p"
    people = [grace_hopper(), astronaut()]
    for second in range(seconds):
        if second % 15 == 0:
            canvas = Image.new("RGB", (1920, 1080), tuple(int(v) for v in np.random.default_rng(
                second).integers(0, 255, 3)))  # fmt: skip
            for i, person in enumerate(people[: 1 + (second // 15) % 2]):
                canvas.paste(person, (200 + 800 * i, 200))
            pixels = np.asarray(canvas)
        for k in range(RATE):  # a slow pan: 50 px a second
            shift = 2 * (k + RATE * (second % 15))
            frame = av.VideoFrame.from_ndarray(np.roll(pixels, shift, axis=1), format="rgb24")
            for packet in stream.encode(frame):
                out.mux(packet)
    for packet in stream.encode():
        out.mux(packet)
    out.close()


def decode_only(path: Path) -> int:
    frames = 0
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        for _ in container.decode(stream):
            frames += 1
    return frames


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--every", type=float, default=1.0)
    parser.add_argument("--part", type=float, default=15.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        video = Path(folder) / "clip.mp4"
        make_video(video, args.seconds)
        settings = DetectionSettings(video_every=args.every).resolved()
        whole = part_path(str(video), 0.0, None)
        analyse_video_part(whole, settings)  # models loaded, files cached
        started = time.perf_counter()
        frames = decode_only(video)
        decoding = time.perf_counter() - started
        started = time.perf_counter()
        results = analyse_video_part(whole, settings)
        analysing = time.perf_counter() - started
        started = time.perf_counter()
        parts = DetectionSettings(video_every=args.every, video_part=args.part)
        report = facegraph.ingest([folder], Path(folder) / "library", settings=parts,
                                  progress=False)  # fmt: skip
        ingesting = time.perf_counter() - started
        assert report.ok == 1, report.errors
    tracks = sum(len(r.faces) for r in results if r.kind == "shot")
    shots = sum(1 for r in results if r.kind == "shot")
    print(
        f"{args.seconds} s of 1080p at {RATE} fps ({frames} frames), a frame every {args.every} s"
    )
    print(f"decoding alone: {decoding:.1f} s ({args.seconds / decoding:.1f}x real time)")
    print(f"facegraph: {analysing:.1f} s ({args.seconds / analysing:.1f}x real time),"
          f" {shots} shots, {tracks} tracks")  # fmt: skip
    print(f"ratio: analysis takes {analysing / decoding:.2f}x the time of decoding alone")
    print(f"ingest in parts of {args.part:g} s on {default_workers()} workers (models loaded,"
          f" stored): {ingesting:.1f} s ({args.seconds / ingesting:.1f}x real time,"
          f" {analysing / ingesting:.2f}x faster than the single analysis)")  # fmt: skip


if __name__ == "__main__":
    main()
