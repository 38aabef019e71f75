"""Bad photos are recorded with a one-line reason; the run goes on; nothing stored is lost."""

import json
import os
import shutil
import struct
import subprocess
import sys
import zlib

import face_recognition  # noqa: F401  (sets Pillow's LOAD_TRUNCATED_IMAGES; we must not care)
import pytest
from conftest import grace_hopper, query
from PIL import Image

from facegraph import DetectionSettings, ingest, stats


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims to be width x height: a decompression bomb's calling card."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    body = struct.pack(">I", len(ihdr)) + chunk + struct.pack(">I", zlib.crc32(chunk))
    idat = zlib.compress(b"\x00" * 64)
    idat_chunk = b"IDAT" + idat
    body += struct.pack(">I", len(idat)) + idat_chunk + struct.pack(">I", zlib.crc32(idat_chunk))
    return b"\x89PNG\r\n\x1a\n" + body


@pytest.fixture
def bad_folder(tmp_path):
    folder = tmp_path / "photos"
    folder.mkdir()
    grace_hopper().save(folder / "good.jpg", quality=92)
    good = (folder / "good.jpg").read_bytes()
    (folder / "empty.jpg").write_bytes(b"")
    (folder / "truncated.jpg").write_bytes(good[: len(good) // 3])
    (folder / "notes.jpg").write_text("not a photo at all\n")
    (folder / "bomb.png").write_bytes(png_header_only(100_000, 100_000))
    Image.new("RGB", (2500, 2000), (30, 30, 30)).save(folder / "huge.png")
    os.symlink(folder / "deleted.jpg", folder / "broken_link.jpg")
    grace_hopper().convert("CMYK").save(folder / "cmyk.jpg")
    grace_hopper().convert("P").save(folder / "palette.png")
    return folder


EXPECTED_REASONS = {
    "empty.jpg": "empty file",
    "truncated.jpg": "truncated",
    "notes.jpg": "not an image",
    "bomb.png": "decompression bomb",
    "huge.png": "image too large: 2500x2000",
    "broken_link.jpg": "broken symlink",
}


def test_each_bad_photo_is_recorded_with_its_reason_and_the_run_goes_on(bad_folder, library):
    seen = []
    settings = DetectionSettings(max_pixels=4_000_000)
    report = ingest(
        [bad_folder], library, workers=2, on_error=lambda p, r: seen.append(p), settings=settings
    )
    reasons = {os.path.basename(p): r for p, r in report.errors}
    assert set(reasons) == set(EXPECTED_REASONS)
    for name, fragment in EXPECTED_REASONS.items():
        assert fragment in reasons[name], (name, reasons[name])
        assert "\n" not in reasons[name]
    assert sorted(seen) == sorted(p for p, _ in report.errors)
    assert (report.ok, report.faces_added) == (3, 3)  # good, CMYK and palette photos
    counts = stats(library)
    assert (counts["images"], counts["errors"], counts["faces"]) == (9, 6, 3)
    # failures are not retried on every run, but can be on request
    assert ingest([bad_folder], library, workers=1, settings=settings).processed == 0
    retry = ingest([bad_folder], library, workers=1, retry_errors=True, settings=settings)
    assert retry.processed == 6 and len(retry.errors) == 6


def test_unreadable_photo_is_reported_by_the_cli_without_traceback(bad_folder, library):
    for name in EXPECTED_REASONS:
        os.unlink(bad_folder / name)
    locked = bad_folder / "locked.jpg"
    shutil.copy(bad_folder / "good.jpg", locked)
    locked.chmod(0)
    command = [
        sys.executable,
        "-m",
        "facegraph",
        "ingest",
        str(bad_folder),
        "--library",
        str(library),
        "--workers",
        "1",
    ]
    if os.geteuid() == 0:  # root reads any file; drop the capabilities that let it
        command = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search", *command]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert f"error: {locked}: permission denied" in done.stderr.splitlines()
    assert "Traceback" not in done.stderr
    assert "1 failed" in done.stdout


def test_an_error_on_a_known_photo_keeps_what_was_stored(tmp_path, library):
    folder = tmp_path / "photos"
    folder.mkdir()
    grace_hopper().save(folder / "a.jpg")
    ingest([folder], library, workers=1)
    data = (folder / "a.jpg").read_bytes()
    (folder / "a.jpg").write_bytes(data[: len(data) // 4])  # the file gets damaged
    report = ingest([folder], library, workers=1)
    assert len(report.errors) == 1
    assert query(library, "SELECT status, face_count FROM images") == [("ok", 1)]
    assert query(library, "SELECT count(*) FROM faces") == [(1,)]


def test_json_output_lists_errors(bad_folder, library):
    from click.testing import CliRunner

    from facegraph.cli import main

    result = CliRunner().invoke(
        main, ["ingest", str(bad_folder), "--library", str(library), "--workers", "1", "--json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["error_count"] == 5 and data["faces_added"] == 3
    assert {os.path.basename(e["path"]) for e in data["errors"]} == set(EXPECTED_REASONS) - {
        "huge.png"
    }
