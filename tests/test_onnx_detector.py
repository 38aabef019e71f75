"""dlib's MMOD CNN face detector on ONNX Runtime: the same boxes as dlib's own."""

import multiprocessing

import dlib
import face_recognition_models
import numpy as np
import pytest
from conftest import astronaut, grace_hopper, side_by_side
from PIL import Image

from facegraph.faces import detect as faces
from facegraph.faces.mmod import Rect, mmod_detector, overlaps, pyramid_layout
from facegraph.ingestion.analyse import find_faces
from facegraph.ingestion.settings import DetectionSettings

#: the shared photos are compared at this long side: dlib's CNN needs 1-14 s per full photo
SHARED_SIDE = 640


def dlib_cnn_boxes(image: np.ndarray) -> list[tuple[int, int, int, int]]:
    model = dlib.cnn_face_detection_model_v1(
        face_recognition_models.cnn_face_detector_model_location()
    )
    return [(d.rect.left(), d.rect.top(), d.rect.right(), d.rect.bottom()) for d in model(image, 0)]


def onnx_cnn_boxes(image: np.ndarray) -> list[tuple[int, int, int, int]]:
    found = mmod_detector(1).detect(image)
    return [(d.rect.left, d.rect.top, d.rect.right, d.rect.bottom) for d in found]


def iou(a, b) -> float:
    inner = Rect(*a).intersect(Rect(*b)).area()
    return inner / (Rect(*a).area() + Rect(*b).area() - inner)


def assert_same_faces(ours, theirs, where=""):
    assert len(ours) == len(theirs), where
    for box in theirs:  # each of dlib's faces has its twin
        assert max(iou(box, mine) for mine in ours) >= 0.95, (where, box, ours)


@pytest.mark.slow
@pytest.mark.parametrize(
    "make",
    [grace_hopper, astronaut, lambda: side_by_side(grace_hopper(), astronaut())],
)
def test_boxes_equal_dlibs_cnn_on_package_photos(make):
    pixels = np.asarray(make())
    theirs = dlib_cnn_boxes(pixels)
    assert len(theirs) >= 1
    assert_same_faces(onnx_cnn_boxes(pixels), theirs)
    # grayscale, as dlib takes it
    gray = np.asarray(make().convert("L"))
    assert_same_faces(onnx_cnn_boxes(gray), dlib_cnn_boxes(gray))


@pytest.mark.slow
def test_scores_equal_dlibs_confidences():
    pixels = np.asarray(side_by_side(grace_hopper(), astronaut()))
    model = dlib.cnn_face_detection_model_v1(
        face_recognition_models.cnn_face_detector_model_location()
    )
    theirs = sorted(d.confidence for d in model(pixels, 0))
    ours = sorted(d.score for d in mmod_detector(1).detect(pixels))
    np.testing.assert_allclose(ours, theirs, atol=1e-3)


def test_a_photo_without_faces_and_tiny_images_give_no_boxes():
    assert onnx_cnn_boxes(np.full((300, 400, 3), 128, np.uint8)) == []
    assert onnx_cnn_boxes(np.zeros((4, 4, 3), np.uint8)) == []
    assert pyramid_layout(0, 10, 10, 11) == ([], 0, 0)


def test_pyramid_levels_shrink_by_five_sixths_and_never_overlap():
    rects, rows, cols = pyramid_layout(480, 640, 10, 11)
    assert (rects[0].height, rects[0].width) == (480, 640)
    for smaller, larger in zip(rects[1:], rects, strict=False):
        assert smaller.height == int(larger.height * 5 / 6)
    assert rects[-1].height >= 5
    for i, a in enumerate(rects):
        assert a.left >= 0 and a.right < cols and a.top >= 0 and a.bottom < rows
        assert all(a.intersect(b).empty() for b in rects[i + 1 :])


def test_suppression_follows_dlibs_box_overlap_rule():
    a = Rect(0, 0, 99, 99)
    assert overlaps(a, Rect(10, 10, 109, 109), 0.34, 1.0)  # 81 % of the box around both
    assert not overlaps(a, Rect(60, 60, 159, 159), 0.34, 1.0)
    assert overlaps(a, Rect(20, 20, 39, 39), 0.34, 0.9)  # inside it: covered
    assert not overlaps(a, Rect(100, 0, 199, 99), 0.34, 1.0)  # touching is not overlapping


def test_the_pipeline_runs_the_cnn_on_onnx_by_default():
    settings = DetectionSettings(detector="cnn", upsample=0, max_side=600)
    assert settings.resolved().cnn_runtime == "onnx"
    pixels = np.asarray(grace_hopper())
    onnx_boxes, _, onnx_rows = find_faces(pixels, settings, pixels.shape[1])
    dlib_settings = DetectionSettings(detector="cnn", upsample=0, max_side=600, cnn_runtime="dlib")
    dlib_boxes, _, dlib_rows = find_faces(pixels, dlib_settings, pixels.shape[1])
    assert [b.css() for b in onnx_boxes] == [b.css() for b in dlib_boxes]
    assert np.abs(onnx_rows - dlib_rows).max() <= 1e-4
    with pytest.raises(ValueError, match="upsample=0"):
        faces.detect_faces(pixels, "cnn", upsample=1, cnn_runtime="onnx")


def _load(path) -> np.ndarray:
    image = Image.open(path).convert("RGB")
    image.thumbnail((SHARED_SIDE, SHARED_SIDE))
    return np.asarray(image)


def _dlib_boxes_of_file(path) -> list:
    return dlib_cnn_boxes(_load(path))


@pytest.mark.longest
def test_boxes_equal_dlibs_cnn_on_every_shared_photo(shared_faces):
    every = sorted(p for p in shared_faces.rglob("*") if p.suffix.lower() in (".jpg", ".png"))
    assert len(every) >= 100
    # every group photo and every second portrait: the same code paths at half the CI minutes
    paths = [p for i, p in enumerate(every) if p.parent.name == "groups" or i % 2 == 0]
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        theirs = pool.map(_dlib_boxes_of_file, paths, chunksize=4)
    total = 0
    for path, expected in zip(paths, theirs, strict=True):
        assert_same_faces(onnx_cnn_boxes(_load(path)), expected, str(path))
        total += len(expected)
    assert total >= 80
