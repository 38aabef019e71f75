"""Photos safe to publish (`facegraph redact`): every face hidden but the kept people's, the
metadata that names people or places gone, a log line per copy.

Faces are found by the real detector in real photos; whether a face is still there afterwards
is asked of the same detector, and the metadata is read back with exiftool, not facegraph."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import grace_hopper, query
from PIL import Image, ImageOps
from test_regions import region_args, run_exiftool

import facegraph
from facegraph.cli import main
from facegraph.evidence.redact import redact_photos
from facegraph.xmp.regions import overlap


def faces_found(path: Path) -> list[tuple[int, int, int, int]]:
    result = facegraph.analyse_photo(str(path), facegraph.DetectionSettings(regions=False))
    assert result.status in ("ok", "no_faces"), result.error
    return [face.box for face in result.faces]


def pixels(path: Path) -> np.ndarray:
    with Image.open(path) as image:
        return np.asarray(ImageOps.exif_transpose(image).convert("RGB")).astype(int)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def kept_pair(shared_faces, tmp_path_factory):
    """A library of a pair photo (as PNG, so a kept face can be compared pixel for pixel) and a
    crowd, clustered, with the larger face of the pair named."""
    root = tmp_path_factory.mktemp("redact")
    photos = root / "photos"
    photos.mkdir()
    Image.open(shared_faces / "groups/obama_and_biden.jpg").save(photos / "pair.png")
    shutil.copy(shared_faces / "groups/retinaface_crowd.jpg", photos / "crowd.jpg")
    library = root / "library"
    facegraph.ingest([photos], library, progress=False)
    facegraph.cluster_people(library)
    (face, person, *box), *others = query(
        library,
        "SELECT f.face_id, f.person_id, f.box_left, f.box_top, f.box_right, f.box_bottom"
        " FROM faces f JOIN images i USING (image_id) WHERE i.path LIKE '%pair.png'"
        " ORDER BY (f.box_right - f.box_left) DESC",
    )
    assert others, "the pair photo holds two faces"
    facegraph.name_person(library, person, "Kept Person")
    return root, photos, library, tuple(box), [tuple(o[2:]) for o in others]


@pytest.mark.slow
def test_only_the_kept_face_remains_and_the_log_proves_each_copy(kept_pair):
    root, photos, library, kept_box, other_boxes = kept_pair
    out = root / "published"
    result = CliRunner().invoke(
        main,
        [
            "redact",
            str(photos / "pair.png"),
            str(photos / "crowd.jpg"),
            "-o",
            str(out),
            "--keep",
            "Kept Person",
            "--library",
            str(library),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["errors"] == [] and len(report["photos"]) == 2
    pair, crowd = (out / "pair.png"), (out / "crowd.jpg")
    # the kept face: every pixel as it was; the other face: changed beyond recognition
    before, after = pixels(photos / "pair.png"), pixels(pair)
    left, top, right, bottom = kept_box
    assert np.array_equal(before[top:bottom, left:right], after[top:bottom, left:right])
    for left, top, right, bottom in other_boxes:
        changed = np.abs(before[top:bottom, left:right] - after[top:bottom, left:right])
        assert changed.mean() > 8
    # the detector, asked again, finds the kept face and no other
    assert [overlap(box, kept_box) > 0.5 for box in faces_found(pair)] == [True]
    assert len(faces_found(photos / "crowd.jpg")) >= 5
    assert faces_found(crowd) == []
    assert crowd.read_bytes()[:3] == b"\xff\xd8\xff"  # a JPEG stays a JPEG
    # one log line per copy, with both files' SHA-256
    lines = [json.loads(line) for line in (out / "redaction-log.jsonl").read_text().splitlines()]
    assert [Path(line["output"]).name for line in lines] == ["pair.png", "crowd.jpg"]
    for line in lines:
        assert line["source_sha256"] == sha256(Path(line["source"]))
        assert line["output_sha256"] == sha256(Path(line["output"]))
    assert lines[0]["faces_kept"] == 1 and lines[0]["faces_hidden"] == len(other_boxes)
    assert lines[1]["faces_kept"] == 0 and lines[1]["hidden_from"]["library"] >= 5


@pytest.fixture
def tagged_photo(tmp_path) -> tuple[Path, tuple]:
    """Grace Hopper stored sideways (EXIF orientation 6), with a GPS position, a date, a city in
    IPTC, her name in XMP (IPTC Extension) and in an MWG face region, and a second region drawn
    on her shoulder (a "face" no detector would find), all written by exiftool."""
    shown = grace_hopper()
    stored = shown.transpose(Image.Transpose.ROTATE_90)  # orientation 6 turns it back
    path = tmp_path / "grace.jpg"
    stored.save(path, quality=92)
    face = (0.30, 0.12, 0.72, 0.50)  # her face, normalised, in the photo as shown
    shoulder = (0.02, 0.75, 0.22, 0.95)
    stored_regions = [
        ("Grace Hopper", (face[1], 1 - face[2], face[3], 1 - face[0])),
        ("Unknown Bystander", (shoulder[1], 1 - shoulder[2], shoulder[3], 1 - shoulder[0])),
    ]
    run_exiftool(
        "-q",
        "-overwrite_original",
        "-Orientation#=6",
        "-GPSLatitude=48.8584",
        "-GPSLatitudeRef=N",
        "-GPSLongitude=2.2945",
        "-GPSLongitudeRef=E",
        "-DateTimeOriginal=1984:05:06 10:11:12",
        "-XMP-iptcExt:PersonInImage=Grace Hopper",
        "-IPTC:City=Paris",
        "-Artist=A Photographer",
        *region_args(stored_regions, stored.size, mp=False),
        str(path),
    )
    return path, shoulder


def test_metadata_that_names_people_or_places_is_gone_and_drawn_faces_are_hidden(
    tagged_photo, tmp_path
):
    path, shoulder = tagged_photo
    report = redact_photos([path], tmp_path / "out", library=tmp_path / "no-library")
    assert report.errors == []
    copy = Path(report.photos[0].output)
    read = json.loads(run_exiftool("-j", "-a", "-G1", str(copy)))[0]
    keys = " ".join(read)
    for gone in ("GPS", "Region", "PersonInImage", "City", "Artist", "ThumbnailImage", "XMP"):
        assert gone not in keys, gone
    assert read.get("ExifIFD:DateTimeOriginal") == "1984:05:06 10:11:12"
    assert "Orientation" not in keys  # written upright
    assert faces_found(copy) == []
    with Image.open(copy) as image, Image.open(path) as source:
        assert image.size == ImageOps.exif_transpose(source).size
    removed = " ".join(report.photos[0].removed)
    assert "GPS" in removed and "2 face region(s)" in removed and "Grace Hopper" in removed
    assert "IPTC" in removed
    # the drawn region that no detector would find is hidden as well
    before, after = pixels(path), pixels(copy)
    height, width = after.shape[:2]
    left, top = int(shoulder[0] * width), int(shoulder[1] * height)
    right, bottom = int(shoulder[2] * width), int(shoulder[3] * height)
    assert np.abs(before[top:bottom, left:right] - after[top:bottom, left:right]).mean() > 3
    assert report.photos[0].hidden_from["xmp"] == 1


def test_without_detection_the_drawn_regions_are_still_hidden_and_fill_is_black(
    tagged_photo, tmp_path
):
    path, _ = tagged_photo
    report = redact_photos(
        [path], tmp_path / "out", library=tmp_path / "none", detect=False, fill=True
    )
    done = report.photos[0]
    assert done.hidden_from == {"library": 0, "detector": 0, "xmp": 2}
    copy = pixels(Path(done.output))
    height, width = copy.shape[:2]
    centre = copy[int(0.31 * height) : int(0.33 * height), int(0.5 * width) : int(0.52 * width)]
    assert centre.max() < 16  # her face (the drawn region) is black


def test_bad_photos_are_one_line_each_and_an_original_is_never_replaced(tmp_path):
    good = tmp_path / "photos" / "good.jpg"
    good.parent.mkdir()
    grace_hopper().save(good)
    (tmp_path / "photos" / "notes.jpg").write_text("not a photo")
    result = CliRunner().invoke(
        main,
        [
            "redact",
            str(tmp_path / "photos" / "notes.jpg"),
            str(tmp_path / "missing.jpg"),
            str(good),
            "-o",
            str(tmp_path / "out"),
            "--library",
            str(tmp_path / "none"),
        ],
    )
    assert result.exit_code == 0, result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 2
    assert "notes.jpg: not an image" in errors[0] and "missing.jpg: file vanished" in errors[1]
    assert (tmp_path / "out" / "good.jpg").exists()
    before = good.read_bytes()
    same_folder = CliRunner().invoke(
        main, ["redact", str(good), "-o", str(good.parent), "--library", str(tmp_path / "none")]
    )
    assert same_folder.exit_code == 1
    assert "its copy would replace it" in same_folder.stderr
    assert good.read_bytes() == before


def test_keeping_an_unknown_person_is_refused_before_anything_is_written(tmp_path, library):
    facegraph.ingest([], library, progress=False)
    result = CliRunner().invoke(
        main,
        [
            "redact",
            "x.jpg",
            "-o",
            str(tmp_path / "out"),
            "--keep",
            "Nobody",
            "--library",
            str(library),
        ],
    )
    assert result.exit_code == 1 and "no person named 'Nobody'" in result.stderr
    assert not (tmp_path / "out").exists()
