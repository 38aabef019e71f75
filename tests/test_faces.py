"""The face layer makes exactly face_recognition's calls on dlib."""

import dlib
import face_recognition
import face_recognition_models
import numpy as np
import pytest
from conftest import astronaut, grace_hopper, side_by_side

from facegraph.faces import detect as faces
from facegraph.faces.encode import DlibEncoder
from facegraph.ingestion.analyse import find_faces
from facegraph.ingestion.settings import DetectionSettings


@pytest.mark.parametrize("make", [grace_hopper, astronaut])
def test_hog_boxes_equal_face_recognition_face_locations(make):
    pixels = np.asarray(make())
    ours = [f.css() for f in faces.detect_faces(pixels, "hog", upsample=1)]
    assert ours == face_recognition.face_locations(pixels, 1, model="hog")
    assert len(ours) == 1


@pytest.mark.parametrize(
    "make", [grace_hopper, astronaut, lambda: side_by_side(grace_hopper(), astronaut())]
)
def test_encodings_equal_face_recognition_face_encodings(make):
    pixels = np.asarray(make())
    settings = DetectionSettings(encoder="dlib")
    boxes, shapes, encodings = find_faces(pixels, settings, pixels.shape[1])
    assert len(boxes) >= 1
    expected = face_recognition.face_encodings(pixels, [b.css() for b in boxes], model="small")
    np.testing.assert_array_equal(encodings, np.asarray(expected, dtype=np.float32))


def test_dlib_encoder_equals_direct_dlib_calls_with_jitter():
    pixels = np.asarray(grace_hopper())
    box = faces.detect_faces(pixels, "hog", upsample=0)[0]
    predictor = dlib.shape_predictor(
        face_recognition_models.pose_predictor_five_point_model_location()
    )
    shape = predictor(pixels, dlib.rectangle(box.left, box.top, box.right, box.bottom))
    # dlib's jitter draws from a generator each model object owns, seeded the same way: two
    # fresh models give the same numbers on their first call
    ours = DlibEncoder().encode(faces.face_chips(pixels, [shape]), jitters=3)
    direct_model = dlib.face_recognition_model_v1(
        face_recognition_models.face_recognition_model_location()
    )
    direct = np.array(direct_model.compute_face_descriptor(pixels, shape, 3), dtype=np.float32)
    np.testing.assert_array_equal(ours[0], direct)


def test_two_people_are_far_apart_and_one_person_is_close():
    a = np.asarray(grace_hopper())
    b = np.asarray(astronaut())
    enc_a = find_faces(a, DetectionSettings(), a.shape[1])[2][0]
    enc_a2 = find_faces(a[20:-10, 15:-5].copy(), DetectionSettings(), a.shape[1] - 20)[2][0]
    enc_b = find_faces(b, DetectionSettings(), b.shape[1])[2][0]
    assert np.linalg.norm(enc_a - enc_a2) < 0.3
    assert np.linalg.norm(enc_a - enc_b) > 0.6


def test_cnn_detector_finds_the_face_with_a_confidence():
    pixels = np.asarray(grace_hopper())
    settings = DetectionSettings(detector="cnn", upsample=0, max_side=600)
    boxes, _, encodings = find_faces(pixels, settings, pixels.shape[1])
    assert len(boxes) == 1 and boxes[0].score > 0.5
    hog = faces.detect_faces(pixels, "hog", upsample=0)[0]
    centre = ((boxes[0].left + boxes[0].right) / 2, (boxes[0].top + boxes[0].bottom) / 2)
    assert abs(centre[0] - (hog.left + hog.right) / 2) < 0.15 * hog.width
    assert abs(centre[1] - (hog.top + hog.bottom) / 2) < 0.25 * hog.height
    assert encodings.shape == (1, 128)
