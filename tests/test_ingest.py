"""Ingest into a real DuckDB library: incremental, moves, vanished photos, changed photos."""

import os
import shutil

import duckdb
from conftest import astronaut, grace_hopper, query, side_by_side, variant

from facegraph import ingest, stats
from facegraph.library import SCHEMA_VERSION


def rows(library, sql):
    return query(library, sql)


def test_first_run_stores_every_photo_and_face(photo_dir, library):
    report = ingest([photo_dir], library, workers=2)
    assert (report.new, report.processed, report.faces_added) == (4, 4, 4)
    assert (report.ok, report.no_faces, report.errors) == (3, 1, [])
    by_name = {
        os.path.basename(path): (status, count)
        for path, status, count in rows(library, "SELECT path, status, face_count FROM images")
    }
    assert by_name == {
        "grace.jpg": ("ok", 1),
        "astronaut.png": ("ok", 1),
        "pair.jpg": ("ok", 2),
        "sky.jpg": ("no_faces", 0),
    }
    faces = rows(
        library, "SELECT len(encoding), len(landmarks), octet_length(crop_jpeg) FROM faces"
    )
    assert len(faces) == 4
    assert all(enc == 128 and marks == 10 and crop > 1000 for enc, marks, crop in faces)
    assert rows(library, "SELECT max(version) FROM schema_migrations") == [(SCHEMA_VERSION,)]


def test_rerun_adds_nothing(photo_dir, library):
    ingest([photo_dir], library, workers=1)
    before = rows(library, "SELECT face_id, image_id, encoding FROM faces ORDER BY face_id")
    again = ingest([photo_dir], library, workers=1)
    assert (again.processed, again.unchanged, again.new) == (0, 4, 0)
    assert rows(library, "SELECT face_id, image_id, encoding FROM faces ORDER BY face_id") == before


def test_grown_folder_adds_only_the_new_photos(photo_dir, library):
    ingest([photo_dir], library, workers=1)
    before = rows(library, "SELECT face_id, image_id FROM faces ORDER BY face_id")
    (photo_dir / "2025").mkdir()
    variant(grace_hopper(), 1).save(photo_dir / "2025" / "grace2.jpg")
    side_by_side(variant(astronaut(), 2), variant(grace_hopper(), 3)).save(
        photo_dir / "2025" / "p.jpg"
    )
    report = ingest([photo_dir], library, workers=1)
    assert (report.new, report.processed, report.unchanged, report.faces_added) == (2, 2, 4, 3)
    after = rows(library, "SELECT face_id, image_id FROM faces ORDER BY face_id")
    assert after[: len(before)] == before and len(after) == len(before) + 3


def test_moved_and_renamed_photos_keep_their_faces(photo_dir, library):
    ingest([photo_dir], library, workers=1)
    before = rows(library, "SELECT image_id, face_id FROM faces ORDER BY face_id")
    (photo_dir / "archive").mkdir()
    shutil.move(photo_dir / "trip" / "pair.jpg", photo_dir / "archive" / "renamed.jpg")
    report = ingest([photo_dir], library, workers=1)
    assert (report.moved, report.processed, report.vanished) == (1, 0, 0)
    assert rows(library, "SELECT image_id, face_id FROM faces ORDER BY face_id") == before
    paths = [p for (p,) in rows(library, "SELECT path FROM images WHERE face_count = 2")]
    assert paths == [str(photo_dir / "archive" / "renamed.jpg")]


def test_vanished_photos_are_marked_and_come_back(photo_dir, library):
    ingest([photo_dir], library, workers=1)
    hidden = photo_dir.parent / "elsewhere.jpg"
    shutil.move(photo_dir / "grace.jpg", hidden)
    report = ingest([photo_dir], library, workers=1)
    assert report.vanished == 1
    assert stats(library)["missing"] == 1
    assert stats(library)["faces"] == 4  # nothing stored is lost while the file is away
    shutil.move(hidden, photo_dir / "grace.jpg")
    report = ingest([photo_dir], library, workers=1)
    assert (report.processed, report.vanished) == (0, 0)
    assert stats(library)["missing"] == 0


def test_changed_photo_replaces_its_faces_without_duplicates(photo_dir, library):
    ingest([photo_dir], library, workers=1)
    side_by_side(grace_hopper(), astronaut(), variant(grace_hopper(), 9)).save(
        photo_dir / "grace.jpg"
    )
    report = ingest([photo_dir], library, workers=1)
    assert (report.changed, report.processed) == (1, 1)
    counts = rows(
        library,
        "SELECT face_count, (SELECT count(*) FROM faces f WHERE f.image_id = i.image_id)"
        " FROM images i WHERE path LIKE '%grace.jpg'",
    )
    assert counts == [(3, 3)]
    assert stats(library)["faces"] == 6


def test_touched_but_unchanged_photo_is_not_reanalysed(photo_dir, library):
    ingest([photo_dir], library, workers=1)
    os.utime(photo_dir / "grace.jpg", ns=(1_000_000_000, 1_000_000_000))
    report = ingest([photo_dir], library, workers=1)
    assert (report.processed, report.unchanged) == (0, 4)
    again = ingest([photo_dir], library, workers=1)
    assert again.processed == 0


def test_library_inside_the_photo_folder_and_hidden_folders_are_skipped(photo_dir):
    library = photo_dir / "my-library"
    (photo_dir / ".thumbnails").mkdir()
    grace_hopper().save(photo_dir / ".thumbnails" / "thumb.jpg")
    grace_hopper().save(photo_dir / "._grace.jpg")  # macOS resource-fork junk
    ingest([photo_dir], library, workers=1)
    (library / "crop.jpg").write_bytes((photo_dir / "grace.jpg").read_bytes())
    report = ingest([photo_dir], library, workers=1)
    assert report.scanned == 4 and report.processed == 0


def test_one_library_takes_photos_from_several_folders(photo_dir, library, tmp_path):
    other = tmp_path / "other"
    other.mkdir()
    variant(astronaut(), 5).save(other / "a.jpg")
    ingest([photo_dir], library, workers=1)
    ingest([other], library, workers=1)
    # ingesting one folder does not mark the other folder's photos as vanished
    again = ingest([other], library, workers=1)
    assert again.vanished == 0 and stats(library)["missing"] == 0
    assert stats(library)["images"] == 5


def test_a_library_from_an_older_version_is_migrated_keeping_its_data(photo_dir, library):
    from importlib import resources

    library.mkdir()
    con = duckdb.connect(str(library / "facegraph.duckdb"))
    con.execute(
        "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR NOT NULL,"
        " applied_at TIMESTAMP NOT NULL DEFAULT current_timestamp)"
    )
    con.execute((resources.files("facegraph") / "migrations/0001_images_and_faces.sql").read_text())
    con.execute("INSERT INTO schema_migrations (version, name) VALUES (1, 'images_and_faces')")
    con.execute(
        "INSERT INTO images (path, size_bytes, mtime_ns, status, face_count)"
        " VALUES ('/photos/old.jpg', 10, 1, 'ok', 1)"
    )
    con.execute(
        "INSERT INTO faces (image_id, face_index, box_left, box_top, box_right, box_bottom,"
        " encoding) SELECT 1, 0, 1, 2, 3, 4, range(128)::FLOAT[128]"
    )
    con.close()
    assert stats(library)["faces"] == 1  # read, and migrated, by this version
    assert rows(library, "SELECT face_id, person_id, forgotten, encoding[128] FROM faces") == [
        (1, None, False, 127.0)
    ]
    assert rows(library, "SELECT max(version) FROM schema_migrations") == [(SCHEMA_VERSION,)]
    assert ingest([photo_dir], library, workers=1).faces_added == 4
