"""Moments: near-duplicate photos counted once.

A burst of twenty shots, or one photo posted five times (recompressed, resized), shows one
moment of the people in it, not twenty or five. Two photos are one moment when either

- they are the same picture: their photo hashes differ in at most `SAME_PICTURE_BITS` of 256
  bits, they have the same shape (width over height, within 2 %), and their dates do not tell
  them apart (either is undated, or they were taken within `BURST_SECONDS`); or
- they are a burst: taken within `BURST_SECONDS` of each other by the same camera (make and
  model; both unknown counts as the same), of about the same scene (hashes within
  `BURST_BITS`).

Moments are groups of such pairs, joined nearest first, whose dated photos lie at most
`MOMENT_SECONDS` apart (so an undated copy joins one moment and never bridges two); which photos
form one does not depend on the order they were ingested in. A moment is named by the smallest
image ID among its photos.

The photo hash is a difference hash: the photo, upright and in grey, reduced to 17x16 pixels;
each of its 256 bits says whether a pixel is brighter than its right-hand neighbour. Measured
on the shared photos, a copy resized to half and saved at JPEG quality 60 lies at most 34 bits
away, 26 for 99 % of them (a copy at 30 % and quality 50: 38, p99 34); among the 19.5
million pairs of lfw-dev's photos (6,250 centred portraits, the hardest case: alike by
construction) 3 pairs lie within 32 bits, and all three are the same picture filed twice.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime

import numpy as np
from PIL import Image

#: photos this many seconds apart or less may be one burst
BURST_SECONDS = 10.0
#: hashes this close (of 256 bits) are the same picture
SAME_PICTURE_BITS = 32
#: hashes this close are about the same scene, for the photos of one burst
BURST_BITS = 80
#: same shape, for the same picture: width/height within this share
SAME_SHAPE = 0.02
#: a moment's dated photos lie at most this many seconds apart (a long burst)
MOMENT_SECONDS = 30.0
#: the hash samples photos to about this many pixels across (0.45 ms a photo)
_HASH_SAMPLE_SIDE = 256
_GREY = np.array([0.299, 0.587, 0.114], np.float32)
#: candidate pairs for the same picture are photos agreeing on `_KEY_BITS` sampled bits in one
#: of `_TABLES` tables: a pair 32 bits apart is a candidate with probability 0.9999, one 20
#: apart 1 - 1e-12; the bits are drawn once, with a fixed seed, so grouping is repeatable
_TABLES, _KEY_BITS = 100, 18
_SAMPLED = np.random.default_rng(20261206).integers(0, 256, size=(_TABLES, _KEY_BITS))
_POPCOUNT = np.array([bin(i).count("1") for i in range(256)], dtype=np.uint8)


def photo_hash(pixels: np.ndarray) -> bytes:
    """The 256-bit difference hash of a photo's pixels (upright RGB, as `decode_photo` gives
    them), 32 bytes: every n-th pixel to about `_HASH_SAMPLE_SIDE` across, grey, reduced to
    17x16 by averaging."""
    step = max(1, max(pixels.shape[:2]) // _HASH_SAMPLE_SIDE)
    grey = pixels[::step, ::step].astype(np.float32) @ _GREY
    small = Image.fromarray(grey.astype(np.uint8)).resize((17, 16), Image.Resampling.BOX)
    levels = np.asarray(small, dtype=np.int16)
    return np.packbits((levels[:, 1:] > levels[:, :-1]).ravel()).tobytes()


def hash_distance(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Differing bits between rows of hashes (uint8 arrays of 32 bytes)."""
    return _POPCOUNT[np.bitwise_xor(a, b)].sum(axis=-1, dtype=np.int32)


def group_moments(
    image_ids: Sequence[int],
    hashes: Sequence[bytes | None],
    taken_at: Sequence[datetime | None],
    cameras: Sequence[str | None],
    shapes: Sequence[float | None],
    *,
    exhaustive: bool = False,
) -> dict[int, int]:
    """Image ID → its moment (the smallest image ID of its group), for every photo given;
    `shapes` are width/height. `exhaustive` compares every pair of photos for the same
    picture instead of those the sampled-bit tables propose (for benchmarks and tests: the
    same moments, slower).

    Pairs are joined nearest first, and a join that would make a moment span more than
    `MOMENT_SECONDS` between its dated photos is refused: an undated copy joins one moment and
    never bridges two. Ties are broken by the photos' contents (hash, then date), never by
    their IDs, so the moments do not depend on the order photos were ingested in.
    """
    ids = [int(i) for i in image_ids]
    parent = {i: i for i in ids}
    known = [k for k, h in enumerate(hashes) if h is not None and len(h) == 32]
    if len(known) < 2:
        return {i: i for i in ids}
    bits = np.frombuffer(b"".join(hashes[k] for k in known), np.uint8).reshape(-1, 32)
    seconds = np.array(
        [taken_at[k].timestamp() if taken_at[k] is not None else np.nan for k in known]
    )
    shape = np.array([shapes[k] if shapes[k] else np.nan for k in known])
    camera = np.array([cameras[k] or "" for k in known], dtype=object)
    same = _all_pairs(len(bits)) if exhaustive else _candidates(bits)
    pairs = np.concatenate(
        [_same_pictures(bits, seconds, shape, same), _bursts(bits, seconds, camera)]
    )
    span = {i: (t, t) for i, t in zip((ids[k] for k in known), seconds.tolist(), strict=True)}

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def content(k: int) -> tuple:
        return hashes[known[k]], -np.inf if np.isnan(seconds[k]) else seconds[k]

    gaps = hash_distance(bits[pairs[:, 0]], bits[pairs[:, 1]]) if len(pairs) else []
    ordered = sorted(
        (int(gap), *sorted((content(a), content(b))), a, b)
        for gap, (a, b) in zip(gaps, pairs.tolist(), strict=True)
    )
    for *_, a, b in ordered:
        ra, rb = root(ids[known[a]]), root(ids[known[b]])
        if ra == rb:
            continue
        dated = [t for t in (*span[ra], *span[rb]) if t == t]  # NaN: undated
        low, high = (min(dated), max(dated)) if dated else (np.nan, np.nan)
        if high - low > MOMENT_SECONDS:  # NaN (nothing dated) passes
            continue
        keep, gone = min(ra, rb), max(ra, rb)
        parent[gone] = keep
        span[keep] = (low, high)
    return {i: root(i) for i in ids}


def _runs(keys: np.ndarray) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Pairs of positions with equal keys, offset by offset in sorted order."""
    order = np.argsort(keys, kind="stable")
    ordered = keys[order]
    for offset in range(1, len(order)):
        same = ordered[offset:] == ordered[:-offset]
        if not same.any():
            return
        yield order[:-offset][same], order[offset:][same]


def _candidates(bits: np.ndarray) -> np.ndarray:
    """Pairs of photos agreeing on every sampled bit of at least one table."""
    count = len(bits)
    # one row per bit, each row contiguous: fast to take
    columns = np.ascontiguousarray(np.unpackbits(bits, axis=1).T, dtype=np.int32)
    codes = []
    for table in _SAMPLED:
        keys = np.zeros(count, np.int32)
        for shift, bit in enumerate(table):
            keys |= columns[bit] << shift
        for a, b in _runs(keys):
            codes.append(np.minimum(a, b).astype(np.int64) * count + np.maximum(a, b))
    if not codes:
        return np.zeros((0, 2), np.int64)
    ordered = np.sort(np.concatenate(codes))
    unique = ordered[np.r_[True, ordered[1:] != ordered[:-1]]]
    return np.stack([unique // count, unique % count], axis=1)


def _all_pairs(count: int) -> np.ndarray:
    a, b = np.triu_indices(count, k=1)
    return np.stack([a, b], axis=1).astype(np.int64)


def _same_pictures(
    bits: np.ndarray, seconds: np.ndarray, shape: np.ndarray, pairs: np.ndarray
) -> np.ndarray:
    """Of the candidate `pairs`, those that are the same picture."""
    a, b = pairs[:, 0], pairs[:, 1]
    gap = np.abs(seconds[a] - seconds[b])
    ok = (
        (hash_distance(bits[a], bits[b]) <= SAME_PICTURE_BITS)
        & (np.abs(shape[a] - shape[b]) <= SAME_SHAPE * np.fmax(shape[a], shape[b]))
        & ~(gap > BURST_SECONDS)  # NaN: an undated photo cannot be told apart by its date
    )
    return pairs[ok]


def _bursts(bits: np.ndarray, seconds: np.ndarray, camera: np.ndarray) -> np.ndarray:
    dated = np.flatnonzero(~np.isnan(seconds))
    order = dated[np.argsort(seconds[dated], kind="stable")]
    found = []
    for offset in range(1, len(order)):
        a, b = order[:-offset], order[offset:]
        near = seconds[b] - seconds[a] <= BURST_SECONDS
        if not near.any():
            break
        a, b = a[near], b[near]
        ok = (camera[a] == camera[b]) & (hash_distance(bits[a], bits[b]) <= BURST_BITS)
        found.append(np.stack([a[ok], b[ok]], axis=1))
    return np.concatenate(found) if found else np.zeros((0, 2), np.int64)
