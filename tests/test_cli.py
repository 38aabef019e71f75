"""The command line: stats, crops export, help, and clear errors."""

import csv
import json

import pytest
from click.testing import CliRunner
from conftest import query
from PIL import Image

from facegraph.cli import main
from facegraph.faces.retinaface import VERSION as RETINAFACE_VERSION


def run(*args):
    result = CliRunner().invoke(main, [str(a) for a in args])
    return result


def test_stats_json_counts_images_faces_and_errors(photo_dir, library):
    (photo_dir / "broken.jpg").write_bytes(b"\xff\xd8 not really")
    assert run("ingest", photo_dir, "--library", library, "--workers", "1").exit_code == 0
    result = run("stats", "--library", library, "--json", "--errors")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (data["images"], data["faces"], data["errors"]) == (5, 4, 1)
    assert data["by_status"] == {"ok": 3, "no_faces": 1, "error": 1}
    assert data["error_list"][0]["path"].endswith("broken.jpg")


def test_library_from_environment(photo_dir, library, monkeypatch):
    monkeypatch.setenv("FACEGRAPH_LIBRARY", str(library))
    assert run("ingest", photo_dir, "--workers", "1").exit_code == 0
    assert "faces:    4" in run("stats").output


def test_export_crops_writes_one_jpeg_per_face_with_an_index(photo_dir, library, tmp_path):
    run("ingest", photo_dir, "--library", library, "--workers", "1")
    out = tmp_path / "Faces"
    result = run("faces", "export-crops", "-o", out, "--library", library)
    assert result.exit_code == 0 and "4 face crops" in result.output
    with open(out / "faces.csv") as handle:
        index = list(csv.DictReader(handle))
    assert len(index) == 4
    for row in index:
        crop = Image.open(out / row["file"])
        assert crop.format == "JPEG" and max(crop.size) <= 200
        face_width = int(row["right"]) - int(row["left"])
        assert face_width > 0
    assert {row["image_path"].rsplit("/", 1)[1] for row in index} == {
        "grace.jpg",
        "astronaut.png",
        "pair.jpg",
    }


def test_missing_library_is_a_one_line_error(tmp_path):
    result = run("stats", "--library", tmp_path / "nowhere")
    assert result.exit_code == 1
    assert "no facegraph library at" in result.output and "Traceback" not in result.output


def test_detection_flags_reach_the_detector(photo_dir, library):
    result = run(
        "ingest",
        photo_dir,
        "--library",
        library,
        "--workers",
        "1",
        "--json",
        "--min-face",
        "5000",
        "--upsample",
        "0",
        "--max-side",
        "300",
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["faces_added"] == 0  # every face is narrower than 5000 px
    ((detection,),) = query(library, "SELECT DISTINCT detection FROM images")
    assert detection == (
        f"retinaface({RETINAFACE_VERSION}) upsample=0 max_side=300 min_face=5000 jitters=1"
        " encoder=onnx"
    )


def test_encoder_and_cnn_runtime_flags_are_recorded(photo_dir, library):
    result = run(
        "ingest",
        photo_dir,
        "--library",
        library,
        "--workers",
        "1",
        "--json",
        "--detector",
        "cnn",
        "--upsample",
        "0",
        "--max-side",
        "400",
        "--encoder",
        "dlib",
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["faces_added"] >= 3  # of the 4 faces in photo_dir
    ((detection,),) = query(library, "SELECT DISTINCT detection FROM images")
    assert detection == "cnn(onnx) upsample=0 max_side=400 min_face=0 jitters=1 encoder=dlib"
    bad = run("ingest", photo_dir, "--library", library, "--encoder", "tensorflow")
    assert bad.exit_code == 2 and "tensorflow" in bad.output


@pytest.mark.parametrize(
    "args",
    [
        ["people", "mosaic", "-o", "/dev/null/x"],
        ["faces", "export-crops", "-o", "/dev/null/x"],
        ["export", "html", "-o", "/dev/null/x.html"],
        ["people", "name", "99", "Nobody"],
        ["people", "undo"],
    ],
    ids=["mosaic-to-a-file", "crops-to-a-file", "export-below-a-file", "no-person", "no-undo"],
)
def test_user_mistakes_are_one_line_errors(args, tmp_path):
    from facegraph.library import Library

    Library.open(tmp_path / "lib", write=True).close()
    result = run(*args, "--library", tmp_path / "lib")
    assert result.exit_code == 1, result.output
    assert result.output.startswith("Error: ") and len(result.output.strip().splitlines()) == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
