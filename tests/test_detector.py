"""The default detector (RetinaFace on ONNX Runtime): faces HOG misses, none where there are none,
dlib-style boxes whose encodings stay the face_recognition model's, and libraries analysed
again without losing anyone's work."""

from pathlib import Path

import numpy as np
import pytest
import skimage
from conftest import astronaut, grace_hopper, query, side_by_side
from PIL import Image

from facegraph import DetectionSettings, cluster_people, forget_person, ingest, name_person
from facegraph.errors import ModelError
from facegraph.faces import detect as faces
from facegraph.faces import quality, retinaface
from facegraph.ingestion.analyse import analyse_photo, find_faces
from facegraph.ingestion.same_faces import match_faces, overlap

SKIMAGE_DATA = Path(skimage.__file__).parent / "data"


def grace_hog_box() -> faces.DetectedFace:
    return faces.detect_faces(np.asarray(grace_hopper()), "hog", upsample=0)[0]


def ltrb(face: faces.DetectedFace) -> tuple[int, int, int, int]:
    return (face.left, face.top, face.right, face.bottom)


def small_face_photo(width: int = 22) -> Image.Image:
    """Grace Hopper's face `width` px wide on a plain 1080 px photo."""
    image = grace_hopper()
    scale = width / grace_hog_box().width
    small = image.resize((round(image.width * scale), round(image.height * scale)))
    canvas = Image.new("RGB", (1080, 720), (120, 120, 120))
    canvas.paste(small, (500, 300))
    return canvas


def test_the_model_ships_inside_facegraph_and_is_checked(monkeypatch):
    import hashlib

    assert hashlib.sha256(retinaface.load_model()).hexdigest() == retinaface.MODEL_SHA256
    monkeypatch.setattr(retinaface, "MODEL_SHA256", "0" * 64)
    with pytest.raises(ModelError, match="damaged"):
        retinaface.load_model()


def test_auto_is_retinaface_and_records_its_version():
    settings = DetectionSettings().resolved()
    assert settings.detector == "retinaface"
    assert settings.describe().startswith(f"retinaface({retinaface.VERSION}) ")
    assert DetectionSettings(detector="hog").resolved().describe().startswith("hog ")


@pytest.mark.parametrize("make", [grace_hopper, astronaut])
def test_finds_the_face_hog_finds_with_a_box_of_the_same_kind(make):
    pixels = np.asarray(make())
    (hog,) = faces.detect_faces(pixels, "hog", upsample=1)
    (found,) = faces.detect_faces(pixels)
    assert found.score > 0.9
    assert overlap(ltrb(hog), ltrb(found)) > 0.6
    assert found.landmarks.shape == (5, 2)
    # the detector's eyes lie inside the box, above its nose, above its mouth corners
    eyes, nose, mouth = found.landmarks[:2], found.landmarks[2], found.landmarks[3:]
    assert (found.left < eyes[:, 0]).all() and (eyes[:, 0] < found.right).all()
    assert eyes[:, 1].max() < nose[1] < mouth[:, 1].min()


def test_a_small_face_hog_misses_is_found():
    photo = np.asarray(small_face_photo(22))
    hog = DetectionSettings(detector="hog").resolved()
    assert find_faces(photo, hog, photo.shape[1])[0] == []
    boxes, _, encodings = find_faces(photo, DetectionSettings().resolved(), photo.shape[1])
    assert len(boxes) == 1 and 16 <= boxes[0].width <= 32
    assert encodings.shape == (1, 128)


def test_a_face_filling_the_photo_is_one_face():
    box = grace_hog_box()
    image = grace_hopper().crop((box.left - 40, box.top - 60, box.right + 40, box.bottom + 50))
    photo = np.asarray(image.resize((900, 1080)))
    (found,) = faces.detect_faces(photo)  # the coarse pass: beyond the largest anchor
    assert found.width > 0.55 * photo.shape[1]


@pytest.mark.parametrize(
    "name",
    [
        "chelsea.png",  # a cat
        "coffee.png",
        "rocket.jpg",
        "motorcycle_left.png",  # a headlamp the first look takes for a face
        "gravel.png",  # a texture with face-like blobs
        "clock_motion.png",  # a blurred clock face
        "hubble_deep_field.jpg",
        "brick.png",
    ],
)
def test_no_faces_in_animals_things_and_textures(name):
    image = Image.open(SKIMAGE_DATA / name).convert("RGB")
    scale = min(1080 / max(image.size), 2.0)
    image = image.resize((round(image.width * scale), round(image.height * scale)))
    assert faces.detect_faces(np.asarray(image)) == []


@pytest.mark.parametrize("make", [grace_hopper, astronaut])
def test_encodings_from_its_boxes_stay_close_to_the_hog_box_encodings(make):
    pixels = np.asarray(make())
    hog = find_faces(pixels, DetectionSettings(detector="hog").resolved(), pixels.shape[1])[2]
    ours = find_faces(pixels, DetectionSettings().resolved(), pixels.shape[1])[2]
    # HOG's own boxes at upsample 0 and 1 give encodings 0.06-0.12 apart from these; the same
    # person in another photo lies 0.3-0.4 away, and the clustering threshold is 0.5
    assert np.linalg.norm(hog[0] - ours[0]) < 0.15


def test_turn_from_the_detectors_points():
    frontal = np.array([[40, 50], [80, 50], [60, 70], [45, 90], [75, 90]], np.float32)
    assert quality.detector_turn(frontal) == pytest.approx(0.0)
    three_quarter = frontal.copy()
    three_quarter[2] = (78, 70)  # the nose tip below an eye
    assert quality.detector_turn(three_quarter) == pytest.approx(0.45)
    profile = frontal.copy()
    profile[2] = (100, 70)  # beyond the far eye
    assert quality.detector_turn(profile) == pytest.approx(1.0)
    limit = quality.MAX_DETECTOR_TURN
    assert quality.quality_issues(100, 100.0, quality.detector_turn(three_quarter), limit) is None
    assert quality.quality_issues(100, 100.0, quality.detector_turn(profile), limit) == "turned"


def test_stored_faces_carry_the_detectors_landmarks_and_score(photo_dir, library):
    ingest([photo_dir], library, workers=1, progress=False)
    rows = query(
        library,
        "SELECT f.box_left, f.box_top, f.box_right, f.box_bottom, f.detector_score,"
        " f.detector_landmarks, f.landmarks, i.detection FROM faces f JOIN images i"
        " USING (image_id)",
    )
    assert len(rows) == 4
    for left, top, right, bottom, score, points, dlib_points, detection in rows:
        assert detection.startswith(f"retinaface({retinaface.VERSION})")
        assert 0.7 <= score <= 1.0
        xs, ys = np.asarray(points[0::2]), np.asarray(points[1::2])
        assert ((left <= xs) & (xs <= right)).all() and ((top <= ys) & (ys <= bottom)).all()
        assert len(dlib_points) == 10  # dlib's points, from which the encoding came, too


def test_match_faces_pairs_the_most_overlapping_boxes_once():
    new = [(0, 0, 10, 10), (100, 100, 110, 110), (1, 1, 11, 11)]
    stored = [(0, 0, 10, 10), (500, 500, 510, 510)]
    assert match_faces(new, stored) == {0: 0}
    assert match_faces([], stored) == {}


def test_redetect_keeps_names_and_forgotten_faces_and_adds_the_new_ones(tmp_path):
    photos = tmp_path / "photos"
    photos.mkdir()
    side_by_side(grace_hopper(), astronaut()).save(photos / "pair.jpg", quality=92)
    grace_hopper().save(photos / "grace.jpg", quality=92)
    astronaut().save(photos / "astronaut.png")
    small_face_photo(26).save(photos / "far.jpg", quality=95)
    library = tmp_path / "library"
    hog = DetectionSettings(detector="hog")
    first = ingest([photos], library, settings=hog, workers=1, progress=False)
    assert first.faces_added == 4  # HOG misses the far face
    cluster_people(library)
    (grace,) = query(library, "SELECT person_id FROM faces f JOIN images i USING (image_id)"
                     " WHERE i.path LIKE '%grace.jpg'")[0]  # fmt: skip
    name_person(library, grace, "Grace Hopper")
    (eileen,) = query(library, "SELECT person_id FROM faces f JOIN images i USING (image_id)"
                      " WHERE i.path LIKE '%astronaut.png'")[0]  # fmt: skip
    forget_person(library, eileen)
    before = dict(query(library, "SELECT face_id, person_id FROM faces WHERE person_id = ?",
                        [grace]))  # fmt: skip
    forgotten = {row[0] for row in query(library, "SELECT face_id FROM faces WHERE forgotten")}
    assert len(before) == 2 and len(forgotten) == 2

    again = ingest([photos], library, redetect=True, workers=1, progress=False)
    assert again.processed == 4
    assert again.faces_kept == 2  # Grace twice; Eileen's faces stay forgotten, not found again
    after = dict(query(library, "SELECT face_id, person_id FROM faces WHERE person_id = ?",
                       [grace]))  # fmt: skip
    assert after == before
    assert query(library, "SELECT name FROM people WHERE person_id = ?", [grace]) == [
        ("Grace Hopper",)
    ]
    # the forgotten faces are still there as forgotten rows, and nothing new covers them
    rows = query(library, "SELECT face_id, forgotten, encoding IS NULL FROM faces")
    assert {r[0] for r in rows if r[1]} == forgotten and all(r[2] for r in rows if r[1])
    live = query(
        library,
        "SELECT i.path, f.person_id FROM faces f JOIN images i USING (image_id)"
        " WHERE NOT f.forgotten ORDER BY i.path",
    )
    assert [Path(path).name for path, _ in live] == ["far.jpg", "grace.jpg", "pair.jpg"]
    assert dict((Path(p).name, person) for p, person in live)["far.jpg"] is None  # new: unassigned
    ((detection,),) = query(library, "SELECT DISTINCT detection FROM images WHERE status = 'ok'")
    assert detection.startswith("retinaface(")
    # nothing left to do the second time
    assert ingest([photos], library, redetect=True, workers=1, progress=False).processed == 0


def test_hog_still_gives_todays_boxes():
    photo = side_by_side(grace_hopper(), astronaut())
    pixels = np.asarray(photo)
    # searched at its own size, as dlib's detector sees it
    settings = DetectionSettings(detector="hog", upsample=0, max_side=max(pixels.shape[:2]))
    settings = settings.resolved()
    boxes = [b.css() for b in find_faces(pixels, settings, pixels.shape[1])[0]]
    assert boxes == [f.css() for f in faces.detect_faces(pixels, "hog", upsample=0)]


def test_analyse_photo_with_the_default_finds_the_pair(tmp_path):
    path = tmp_path / "pair.jpg"
    side_by_side(grace_hopper(), astronaut()).save(path, quality=92)
    result = analyse_photo(str(path), DetectionSettings())
    assert result.status == "ok" and len(result.faces) == 2
    assert all(face.detector_landmarks is not None for face in result.faces)


def test_forgetting_a_person_erases_the_detectors_landmarks_too(photo_dir, library):
    ingest([photo_dir], library, workers=1, progress=False)
    cluster_people(library)
    (person,) = query(
        library,
        "SELECT person_id FROM faces f JOIN images i USING (image_id)"
        " WHERE i.path LIKE '%grace.jpg'",
    )[0]
    forget_person(library, person)
    rows = query(
        library,
        "SELECT count(*), count(detector_landmarks), count(landmarks), count(encoding)"
        " FROM faces WHERE forgotten",
    )
    assert rows == [(2, 0, 0, 0)]  # Grace twice: boxes kept, every biometric field gone
