"""Grouping near-duplicate photos into moments at archive scale: facegraph's grouping (sampled-
bit tables propose pairs, exact distances decide) against comparing every pair of hashes
(`exhaustive=True`), in the same run.

The photos are synthetic hashes: unrelated photos (random 256-bit hashes, as unrelated photos'
difference hashes behave), plus planted copies (a few bits flipped, undated, as reposts) and
bursts (dated seconds apart, same camera, more bits flipped). Both ways must find the same
moments; the ratio is the all-pairs time over facegraph's.

    python bench/moments.py [--photos 8000]   (every pair compared needs ~1 GB at 8,000)
"""

from __future__ import annotations

import argparse
import time
from datetime import datetime, timedelta

import numpy as np

from facegraph.ingestion import moments


def synthetic(photos: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    hashes, taken, cameras = [], [], []
    start = datetime(2020, 1, 1)
    while len(hashes) < photos:
        base = rng.integers(0, 256, 32, dtype=np.uint8)
        when = start + timedelta(minutes=int(rng.integers(0, 10**6)))
        kind = rng.random()
        copies = [(base, when)]
        if kind < 0.1:  # posted again: a few bits flipped, no date
            copies.append((_flip(base, rng, 12), None))
        elif kind < 0.3:  # a burst of 2-5 shots
            for k in range(1, int(rng.integers(2, 6))):
                copies.append((_flip(base, rng, 40), when + timedelta(seconds=k)))
        for bits, at in copies:
            hashes.append(bits.tobytes())
            taken.append(at)
            cameras.append("cam")
    n = photos
    return list(range(1, n + 1)), hashes[:n], taken[:n], cameras[:n], [1.5] * n


def _flip(base: np.ndarray, rng, count: int) -> np.ndarray:
    bits = np.unpackbits(base)
    where = rng.choice(256, size=count, replace=False)
    bits[where] ^= 1
    return np.packbits(bits)


def partition(grouping: dict[int, int]) -> set[frozenset]:
    groups: dict[int, set] = {}
    for image, moment in grouping.items():
        groups.setdefault(moment, set()).add(image)
    return {frozenset(g) for g in groups.values() if len(g) > 1}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=8000)
    args = parser.parse_args()
    data = synthetic(args.photos)
    started = time.perf_counter()
    fast = moments.group_moments(*data)
    fast_s = time.perf_counter() - started
    started = time.perf_counter()
    slow = moments.group_moments(*data, exhaustive=True)
    slow_s = time.perf_counter() - started
    ours, theirs = partition(fast), partition(slow)
    print(f"{args.photos} photos: {len(ours)} moments of two or more photos")
    print(f"facegraph's grouping: {fast_s:.2f} s; every pair compared: {slow_s:.2f} s")
    print(f"ratio: {slow_s / fast_s:.1f}x; same moments: {ours == theirs}")
    if ours != theirs:
        missed = len(theirs - ours)
        print(f"moments that differ: {missed} of {len(theirs)} (sampled bits miss a pair)")


if __name__ == "__main__":
    main()
