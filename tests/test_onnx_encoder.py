"""dlib's face encoder converted to ONNX: same numbers as dlib, cached, never downloaded."""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import face_recognition_models
import numpy as np
import onnx
import pytest
from conftest import astronaut, grace_hopper, side_by_side

from facegraph.errors import DlibFormatError
from facegraph.faces import detect as faces
from facegraph.faces.dlib_onnx import CONVERTER_VERSION, face_encoder_onnx
from facegraph.faces.encode import DlibEncoder, OnnxEncoder, face_encoder
from facegraph.faces.model_cache import converted_model
from facegraph.ingestion.analyse import analyse_photos, locate_faces
from facegraph.ingestion.settings import DetectionSettings

TOLERANCE = 1e-4  # per component, the bound


def package_chips() -> np.ndarray:
    chips = []
    for image in (grace_hopper(), astronaut(), side_by_side(grace_hopper(), astronaut())):
        pixels = np.asarray(image)
        _, shapes = locate_faces(pixels, DetectionSettings(), pixels.shape[1])
        chips.append(faces.face_chips(pixels, shapes))
    return np.concatenate(chips)


@pytest.fixture(scope="module")
def chips() -> np.ndarray:
    found = package_chips()
    assert len(found) == 4
    return found


def test_onnx_encodings_equal_dlib_encodings(chips):
    dlib_rows = DlibEncoder().encode(chips)
    onnx_rows = face_encoder("onnx").encode(chips)
    assert onnx_rows.shape == (4, 128) and onnx_rows.dtype == np.float32
    assert np.abs(onnx_rows - dlib_rows).max() <= TOLERANCE
    # Grace Hopper and the astronaut, each alone and then in one photo: two people
    distances = np.linalg.norm(onnx_rows[:2, None] - onnx_rows[None, 2:], axis=2)
    assert distances.min(axis=1).max() < 0.3 and np.linalg.norm(onnx_rows[0] - onnx_rows[1]) > 0.6


def test_a_face_encodes_the_same_alone_and_in_a_batch(chips):
    encoder = face_encoder("onnx")
    batch = encoder.encode(np.concatenate([chips] * 8))  # 32 faces
    for index, chip in enumerate(chips):
        alone = encoder.encode(chip[None])[0]
        assert np.abs(batch[index] - alone).max() <= 1e-5
        assert np.abs(batch[index + 4] - alone).max() <= 1e-5


def test_jittered_encoding_is_the_mean_over_dlibs_jittered_chips(chips, tmp_path):
    # dlib's model and dlib.jitter_image each own a generator seeded alike: in a fresh process
    # the first N jitters of both are the same crops, so the two backends must agree
    script = textwrap.dedent(
        f"""
        import json, sys, numpy as np
        from facegraph.faces.encode import DlibEncoder, OnnxEncoder
        chips = np.load({str(tmp_path / "chips.npy")!r})
        kind = sys.argv[1]
        encoder = OnnxEncoder() if kind == "onnx" else DlibEncoder()
        print(json.dumps(encoder.encode(chips, jitters=5).tolist()))
        """
    )
    np.save(tmp_path / "chips.npy", chips[:2])
    rows = {}
    for kind in ("dlib", "onnx"):
        done = subprocess.run(
            [sys.executable, "-c", script, kind], capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, done.stderr
        rows[kind] = np.array(json.loads(done.stdout))
    assert np.abs(rows["onnx"] - rows["dlib"]).max() <= TOLERANCE
    plain = DlibEncoder().encode(chips[:2])
    moved = np.linalg.norm(rows["onnx"] - plain, axis=1)
    assert np.all(moved > 1e-3) and np.all(moved < 0.3)  # jittered, yet the same face


def test_analysing_photos_together_gives_each_photo_its_own_faces(photo_dir):
    paths = [
        str(photo_dir / "grace.jpg"),
        str(photo_dir / "trip" / "pair.jpg"),
        str(photo_dir / "sky.jpg"),
        str(photo_dir / "trip" / "astronaut.png"),
    ]
    together = analyse_photos(paths, DetectionSettings())
    for path, result in zip(paths, together, strict=True):
        alone = analyse_photos([path], DetectionSettings())[0]
        assert result.path == path and len(result.faces) == len(alone.faces)
        for a, b in zip(result.faces, alone.faces, strict=True):
            assert a.box == b.box and np.abs(a.encoding - b.encoding).max() <= 1e-5
    assert [len(r.faces) for r in together] == [1, 2, 0, 1]


def test_converted_graph_mirrors_the_dat_file():
    model = face_encoder_onnx(
        Path(face_recognition_models.face_recognition_model_location()).read_bytes()
    )
    convolutions = [n for n in model.graph.node if n.op_type == "Conv"]
    assert len(convolutions) == 29  # the stem and 2 per residual block (14 blocks)
    assert sum(n.op_type == "Pad" for n in model.graph.node) >= 1  # dlib's zero-filled adds
    weights = sum(int(np.prod(t.dims)) for t in model.graph.initializer)
    assert 5_500_000 < weights < 5_700_000  # ResNet-29 with 5.6 M parameters, the .dat's count


def test_a_damaged_dat_file_is_refused():
    data = Path(face_recognition_models.face_recognition_model_location()).read_bytes()
    with pytest.raises(DlibFormatError):
        face_encoder_onnx(data[: len(data) // 2])
    with pytest.raises(DlibFormatError):
        face_encoder_onnx(
            Path(face_recognition_models.pose_predictor_five_point_model_location()).read_bytes()
        )


def test_cache_is_reused_and_a_damaged_copy_is_converted_again(tmp_path, monkeypatch):
    monkeypatch.setenv("FACEGRAPH_MODEL_CACHE", str(tmp_path / "cache"))
    source = face_recognition_models.face_recognition_model_location()
    calls = []

    def convert(dat: bytes) -> bytes:
        calls.append(1)
        return face_encoder_onnx(dat).SerializeToString()

    first = converted_model("face_encoder", source, CONVERTER_VERSION, convert)
    assert first.origin == "converted" and first.path.exists() and len(calls) == 1
    second = converted_model("face_encoder", source, CONVERTER_VERSION, convert)
    assert second.origin == "cache" and second.data == first.data and len(calls) == 1

    damaged = bytearray(first.path.read_bytes())
    damaged[len(damaged) // 2] ^= 0xFF  # one flipped bit in the middle of the weights
    first.path.write_bytes(bytes(damaged))
    third = converted_model("face_encoder", source, CONVERTER_VERSION, convert)
    assert third.origin == "reconverted" and third.data == first.data and len(calls) == 2
    assert first.path.read_bytes() == first.data  # repaired on disk

    first.path.write_bytes(first.data[:1000])  # a torn write
    assert (
        converted_model("face_encoder", source, CONVERTER_VERSION, convert).origin == "reconverted"
    )
    onnx.checker.check_model(onnx.load_from_string(first.path.read_bytes()))

    newer = converted_model("face_encoder", source, CONVERTER_VERSION + 1, convert)
    assert newer.origin == "converted" and newer.path != first.path  # a new converter, a new file


def test_an_unwritable_cache_still_encodes(tmp_path, monkeypatch, chips):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("FACEGRAPH_MODEL_CACHE", str(blocker / "cache"))
    encoder = OnnxEncoder()
    assert np.abs(encoder.encode(chips[:1]) - DlibEncoder().encode(chips[:1])).max() <= TOLERANCE


NO_NETWORK = """
import socket, sys
attempts = []
def refuse(*args, **kwargs):
    attempts.append(args)
    raise OSError("network access attempted")
socket.socket.connect = socket.socket.connect_ex = refuse
socket.create_connection = socket.getaddrinfo = refuse
from facegraph.ingestion.analyse import analyse_photos
from facegraph.ingestion.settings import DetectionSettings
encoded = analyse_photos(sys.argv[1:], DetectionSettings(encoder="onnx", attributes=True))
cnn = DetectionSettings(detector="cnn", cnn_runtime="onnx", encoder="onnx", upsample=0)
detected = analyse_photos(sys.argv[1:], cnn)
estimated = sum(f.attributes is not None for r in encoded for f in r.faces)
print(sum(len(r.faces) for r in encoded), sum(len(r.faces) for r in detected), estimated,
      len(attempts))
"""


def test_conversion_and_inference_never_touch_the_network(tmp_path, photo_dir):
    env = {**os.environ, "FACEGRAPH_MODEL_CACHE": str(tmp_path / "empty-cache")}
    done = subprocess.run(
        [sys.executable, "-c", NO_NETWORK, str(photo_dir / "trip" / "pair.jpg")],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    # both faces found by both detectors, both given an age and gender, no connection tried
    assert done.stdout.split() == ["2", "2", "2", "0"]
    converted = sorted(p.name.split("-")[0] for p in (tmp_path / "empty-cache").glob("*.onnx"))
    assert converted == ["face_detector", "face_encoder"]  # both converted, offline
