"""Honest weights: near-duplicate photos (a burst, the same photo posted again recompressed or
resized) are one moment, counted once in every weight; an unrelated photo a minute later is
not; `--count-duplicates` counts every photo."""

from __future__ import annotations

import io
import json
import random
from collections import defaultdict
from datetime import datetime, timedelta
from itertools import combinations
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import astronaut, grace_hopper, query, side_by_side
from PIL import Image

import facegraph
from facegraph.cli import main
from facegraph.ingestion.decode import decode_photo
from facegraph.ingestion.moments import (
    SAME_PICTURE_BITS,
    group_moments,
    hash_distance,
)
from facegraph.ingestion.moments import photo_hash as pixels_hash


def photo_hash(data: bytes) -> bytes:
    """The hash ingest computes for a photo file's bytes."""
    return pixels_hash(decode_photo(data, max_side=2160).pixels)


def jpeg(image: Image.Image, quality: int = 92, exif: Image.Exif | None = None) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality, **({"exif": exif.tobytes()} if exif else {}))
    return out.getvalue()


def distance(a: bytes, b: bytes) -> int:
    return int(hash_distance(np.frombuffer(a, np.uint8), np.frombuffer(b, np.uint8)))


def burst_shot(image: Image.Image, k: int) -> Image.Image:
    """The k-th shot of a burst: the camera moved a little, the light changed a little."""
    turned = image.rotate(0.6 * k, resample=Image.Resampling.BILINEAR, fillcolor=(30, 30, 30))
    return Image.eval(turned, lambda v: min(255, int(v * (1 + 0.03 * k))))


def test_a_copy_resized_and_recompressed_has_the_same_hash_and_another_photo_does_not():
    photo = side_by_side(grace_hopper(), astronaut())
    original = photo_hash(jpeg(photo))
    small = photo.resize((photo.width * 2 // 5, photo.height * 2 // 5))
    assert distance(original, photo_hash(jpeg(small, quality=55))) <= SAME_PICTURE_BITS
    assert distance(original, photo_hash(jpeg(burst_shot(photo, 2)))) > 0
    other = side_by_side(astronaut(), grace_hopper())
    assert distance(original, photo_hash(jpeg(other))) > 3 * SAME_PICTURE_BITS


def grouped(photos: list[tuple], seed: int | None = None) -> list[set[str]]:
    """The moments of (name, hash, taken_at, camera, shape) rows, as sets of names."""
    rows = list(photos)
    if seed is not None:
        random.Random(seed).shuffle(rows)
    ids = list(range(1, len(rows) + 1))
    names, hashes, taken, cameras, shapes = zip(*rows, strict=True)
    moments = group_moments(ids, hashes, taken, cameras, shapes)
    groups = defaultdict(set)
    for image_id, moment in moments.items():
        groups[moment].add(names[image_id - 1])
    return sorted(groups.values(), key=sorted)


def test_bursts_and_reposts_are_one_moment_whatever_the_order():
    photo = side_by_side(grace_hopper(), astronaut())
    other = side_by_side(astronaut(), grace_hopper())
    at = datetime(2024, 5, 1, 12, 0, 0)
    shape = photo.width / photo.height
    rows = [
        ("shot0", photo_hash(jpeg(photo)), at, "cam", shape),
        ("shot1", photo_hash(jpeg(burst_shot(photo, 1))), at + timedelta(seconds=1), "cam", shape),
        ("shot2", photo_hash(jpeg(burst_shot(photo, 2))), at + timedelta(seconds=2), "cam", shape),
        # the same picture posted again: smaller, recompressed, its date stripped
        (
            "repost",
            photo_hash(jpeg(photo.resize((photo.width // 2, photo.height // 2)), 60)),
            None,
            "/",
            shape,
        ),
        # a minute later, same camera, same people: another moment
        ("later", photo_hash(jpeg(burst_shot(photo, 1))), at + timedelta(seconds=60), "cam", shape),
        # the same picture, dated a year later (printed and photographed again): another moment
        ("a year on", photo_hash(jpeg(photo)), at + timedelta(days=365), "cam", shape),
        ("unrelated", photo_hash(jpeg(other)), at + timedelta(seconds=3), "cam", shape),
    ]
    expected = sorted(
        [{"shot0", "shot1", "shot2", "repost"}, {"later"}, {"a year on"}, {"unrelated"}],
        key=sorted,
    )  # fmt: skip
    assert grouped(rows) == expected
    for seed in range(5):
        assert grouped(rows, seed) == expected


EVENTS = 20


@pytest.fixture(scope="module")
def album(shared_faces, tmp_path_factory):
    """20 events, each a photo of two people side by side, an hour apart, from one camera;
    4 of them (20 %) shot as bursts of 3; 2 (10 %) posted again resized and recompressed,
    without EXIF; and one unrelated photo of the same two people a minute after an event."""
    rng = random.Random(11)
    people = ["barack_obama", "joe_biden", "kofi_annan", "serena_williams", "venus_williams"]
    portraits = {p: sorted((shared_faces / "people" / p).glob("*.jpg")) for p in people}
    folder = tmp_path_factory.mktemp("moments") / "photos"
    folder.mkdir()
    event_of: dict[str, int] = {}
    start = datetime(2023, 3, 1, 9, 0, 0)

    def save(name: str, image: Image.Image, when: datetime | None, event: int, quality=90):
        exif = None
        if when is not None:
            exif = Image.Exif()
            exif[0x010F], exif[0x0110] = "TestCam", "Model 1"
            exif.get_ifd(0x8769)[0x9003] = when.strftime("%Y:%m:%d %H:%M:%S")
        (folder / name).write_bytes(jpeg(image, quality, exif))
        event_of[name] = event

    def pair_photo(a, b):
        left = Image.open(rng.choice(portraits[a])).convert("RGB")
        right = Image.open(rng.choice(portraits[b])).convert("RGB")
        left.thumbnail((400, 400))
        right.thumbnail((400, 400))
        return side_by_side(left, right)

    for event in range(EVENTS):
        a, b = rng.sample(people, 2)
        photo = pair_photo(a, b)
        when = start + timedelta(hours=event)
        save(f"e{event:02d}.jpg", photo, when, event)
        if event % 5 == 0:  # a burst
            for k in (1, 2):
                save(
                    f"e{event:02d}-burst{k}.jpg",
                    burst_shot(photo, k),
                    when + timedelta(seconds=k),
                    event,
                )
        if event % 10 == 3:  # posted again
            small = photo.resize((photo.width * 3 // 5, photo.height * 3 // 5))
            save(f"e{event:02d}-repost.jpg", small, None, event, quality=65)
        if event == 7:  # the same two people a minute later: another moment
            save("e07-later.jpg", pair_photo(a, b), when + timedelta(seconds=60), EVENTS)
    library = folder.parent / "library"
    facegraph.run([folder], library)
    return library, event_of


@pytest.mark.slow
def test_each_tie_counts_its_distinct_moments_and_every_photo_on_request(album, tmp_path):
    library, event_of = album
    faces = query(
        library,
        "SELECT i.path, f.person_id FROM faces f JOIN images i USING (image_id)"
        " WHERE f.person_id IS NOT NULL",
    )
    people_in = defaultdict(set)
    for path, person in faces:
        people_in[Path(path).name].add(person)
    moments, photos = defaultdict(set), defaultdict(int)
    for name, people in people_in.items():
        for a, b in combinations(sorted(people), 2):
            moments[a, b].add(event_of[name])
            photos[a, b] += 1
    assert any(photos[k] > len(moments[k]) for k in photos), "no tie holds a duplicate"

    def ties(*flags: str) -> dict:
        out = tmp_path / f"net{len(flags)}.csv"
        result = CliRunner().invoke(
            main, ["export", "csv", "-o", str(out), "--library", str(library), *flags]
        )
        assert result.exit_code == 0, result.output
        lines = (tmp_path / f"net{len(flags)}.edges.csv").read_text().splitlines()[1:]
        return {
            (int(r[0]), int(r[1])): (int(r[3]), int(r[9])) for r in (x.split(",") for x in lines)
        }

    assert ties() == {k: (len(moments[k]), photos[k] - len(moments[k])) for k in photos}
    assert ties("--count-duplicates") == {k: (photos[k], 0) for k in photos}
    stats = json.loads(
        CliRunner().invoke(main, ["stats", "--library", str(library), "--json"]).stdout
    )
    # 4 bursts of 3 photos, 2 photos posted again alongside their originals
    assert stats["duplicates"] == {"photos": 4 * 3 + 2 * 2, "moments": 6}


def test_a_library_from_before_moments_is_grouped_at_its_next_ingest(tmp_path):
    photos = tmp_path / "photos"
    photos.mkdir()
    photo = side_by_side(grace_hopper(), astronaut())
    (photos / "pair.jpg").write_bytes(jpeg(photo))
    (photos / "pair-small.jpg").write_bytes(
        jpeg(photo.resize((photo.width * 3 // 5, photo.height * 3 // 5)), quality=60)
    )
    library = tmp_path / "library"
    assert facegraph.ingest([photos], library, progress=False).duplicates == 2
    with facegraph.Library.open(library, write=True) as lib:  # as a library of before
        lib.connection.execute("UPDATE images SET photo_hash = NULL, moment = NULL")
    report = facegraph.ingest([photos], library, progress=False)
    assert report.processed == 0 and report.duplicates == 2
    hashed = query(library, "SELECT count(*) FROM images WHERE photo_hash IS NOT NULL")
    assert hashed == [(2,)]


def test_the_sampled_bit_tables_find_the_moments_comparing_every_pair_finds():
    rng = np.random.default_rng(5)
    hashes, taken = [], []
    for n in range(600):
        base = rng.integers(0, 256, 32, dtype=np.uint8)
        hashes.append(base.tobytes())
        taken.append(datetime(2021, 1, 1) + timedelta(hours=n))
        if n % 3 == 0:  # a copy: up to 30 of 256 bits flipped, no date
            bits = np.unpackbits(base)
            bits[rng.choice(256, size=int(rng.integers(1, 31)), replace=False)] ^= 1
            hashes.append(np.packbits(bits).tobytes())
            taken.append(None)
    ids = list(range(1, len(hashes) + 1))
    rows = (ids, hashes, taken, ["cam"] * len(ids), [1.5] * len(ids))
    fast, every = group_moments(*rows), group_moments(*rows, exhaustive=True)
    assert fast == every
    assert len(ids) - len(set(fast.values())) == 200  # each copy joined its original
