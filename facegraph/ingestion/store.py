"""Every read and write of images and faces in the library's DuckDB database."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace

import duckdb
import numpy as np
import pyarrow as pa

from ..library import transaction
from .records import KnownImage, PhotoFaces, PhotoResult, os_path, stored_path


def known_images(con: duckdb.DuckDBPyConnection) -> dict[str, KnownImage]:
    """Every stored photo, by the path to open it at."""
    rows = con.execute(
        "SELECT image_id, path, size_bytes, mtime_ns, status, content_hash,"
        " missing_since IS NOT NULL, path_bytes FROM images"
    ).fetchall()
    known = {}
    for *fields, raw in rows:
        image = KnownImage(*fields)
        known[os_path(image.path, raw)] = replace(image, path=os_path(image.path, raw))
    return known


def record_moves(
    con: duckdb.DuckDBPyConnection, moves: Sequence[tuple[int, str, int, int]]
) -> None:
    """Photos found at a new path: ``(image_id, new_path, size_bytes, mtime_ns)``."""
    if not moves:
        return
    con.executemany(
        "UPDATE images SET path = ?, path_bytes = ?, size_bytes = ?, mtime_ns = ?,"
        " missing_since = NULL WHERE image_id = ?",
        [(*stored_path(path), size, mtime, image_id) for image_id, path, size, mtime in moves],
    )


def record_touched(con: duckdb.DuckDBPyConnection, touched: Sequence[tuple[int, int, int]]) -> None:
    """Files whose timestamp changed but whose bytes did not: ``(image_id, size, mtime_ns)``."""
    if not touched:
        return
    con.executemany(
        "UPDATE images SET size_bytes = ?, mtime_ns = ?, missing_since = NULL WHERE image_id = ?",
        [(size, mtime, image_id) for image_id, size, mtime in touched],
    )


def set_missing(con: duckdb.DuckDBPyConnection, image_ids: Sequence[int], missing: bool) -> None:
    if not image_ids:
        return
    value = "current_timestamp" if missing else "NULL"
    con.execute(
        f"UPDATE images SET missing_since = {value} WHERE image_id IN (SELECT unnest(?))",
        [list(image_ids)],
    )


_IMAGE_COLUMNS = {
    "path": pa.string(),
    "path_bytes": pa.binary(),
    "content_hash": pa.string(),
    "size_bytes": pa.int64(),
    "mtime_ns": pa.int64(),
    "width": pa.int32(),
    "height": pa.int32(),
    "orientation": pa.int16(),
    "taken_at": pa.timestamp("us"),
    "camera_make": pa.string(),
    "camera_model": pa.string(),
    "status": pa.string(),
    "error": pa.string(),
    "face_count": pa.int32(),
    "detection": pa.string(),
}

_UPSERT_IMAGES = f"""
INSERT INTO images ({", ".join(_IMAGE_COLUMNS)})
SELECT {", ".join(_IMAGE_COLUMNS)} FROM new_images
ON CONFLICT (path) DO UPDATE SET
    path_bytes = excluded.path_bytes, content_hash = excluded.content_hash,
    size_bytes = excluded.size_bytes,
    mtime_ns = excluded.mtime_ns, width = excluded.width, height = excluded.height,
    orientation = excluded.orientation, taken_at = excluded.taken_at,
    camera_make = excluded.camera_make, camera_model = excluded.camera_model,
    status = excluded.status, error = excluded.error, face_count = excluded.face_count,
    detection = excluded.detection, ingested_at = now(), missing_since = NULL
RETURNING path, image_id
"""


def _upsert_images(
    con: duckdb.DuckDBPyConnection, results: Sequence[PhotoResult], detection: str
) -> list[int]:
    """Insert or replace the photos (one statement for the batch); their image IDs, in order."""
    rows = [
        (
            *stored_path(r.path), r.content_hash, r.size_bytes, r.mtime_ns, r.width, r.height,
            r.orientation, r.taken_at, r.camera_make, r.camera_model, r.status, r.error,
            len(r.faces), detection,
        )
        for r in results
    ]  # fmt: skip
    columns = zip(*rows, strict=True)
    table = pa.table(
        {
            name: pa.array(values, type=kind)
            for (name, kind), values in zip(_IMAGE_COLUMNS.items(), columns, strict=True)
        }
    )
    con.register("new_images", table)
    try:
        ids = dict(con.execute(_UPSERT_IMAGES).fetchall())
    finally:
        con.unregister("new_images")
    return [ids[row[0]] for row in rows]


def write_results(
    con: duckdb.DuckDBPyConnection,
    results: Sequence[PhotoResult],
    detection: str,
    attributes_model: str | None = None,
) -> None:
    """Store analysed photos and their faces in one transaction.

    A photo stored before is replaced with its faces, so re-processing never duplicates a face.
    Faces' age and gender estimates (or why they have none) are stored with them, labelled
    `attributes_model`.
    """
    if not results:
        return
    face_rows: dict[str, list] = {
        "image_id": [],
        "face_index": [],
        "box_left": [],
        "box_top": [],
        "box_right": [],
        "box_bottom": [],
        "detector_score": [],
        "crop_jpeg": [],
        "sharpness": [],
        "quality": [],
        "age": [],
        "age_spread": [],
        "male_probability": [],
        "attributes_skipped": [],
    }
    landmarks, encodings = [], []
    with transaction(con):
        image_ids = _upsert_images(con, results, detection)
        # a photo analysed again loses its old faces (one statement for the whole batch)
        con.execute(
            "DELETE FROM face_attributes WHERE face_id IN"
            " (SELECT face_id FROM faces WHERE image_id IN (SELECT unnest(?)))",
            [image_ids],
        )
        con.execute("DELETE FROM faces WHERE image_id IN (SELECT unnest(?))", [image_ids])
        for image_id, result in zip(image_ids, results, strict=True):
            for index, face in enumerate(result.faces):
                left, top, right, bottom = face.box
                face_rows["image_id"].append(image_id)
                face_rows["face_index"].append(index)
                face_rows["box_left"].append(left)
                face_rows["box_top"].append(top)
                face_rows["box_right"].append(right)
                face_rows["box_bottom"].append(bottom)
                face_rows["detector_score"].append(face.score)
                face_rows["crop_jpeg"].append(face.crop_jpeg)
                face_rows["sharpness"].append(face.sharpness)
                face_rows["quality"].append(face.quality)
                estimate = face.attributes
                face_rows["age"].append(estimate.age if estimate else None)
                face_rows["age_spread"].append(estimate.age_spread if estimate else None)
                face_rows["male_probability"].append(
                    estimate.male_probability if estimate else None
                )
                face_rows["attributes_skipped"].append(face.attributes_skipped)
                landmarks.append(np.asarray(face.landmarks, dtype=np.float32).reshape(10))
                encodings.append(np.asarray(face.encoding, dtype=np.float32).reshape(128))
        if encodings:
            table = pa.table(
                {
                    **{
                        name: pa.array(values, type=pa.int64() if name == "image_id" else None)
                        for name, values in face_rows.items()
                    },
                    "landmarks": _fixed_list(np.stack(landmarks), 10),
                    "encoding": _fixed_list(np.stack(encodings), 128),
                }
            )
            con.register("new_faces", table)
            try:
                con.execute(
                    "INSERT INTO faces (image_id, face_index, box_left, box_top, box_right,"
                    " box_bottom, detector_score, crop_jpeg, sharpness, quality, landmarks,"
                    " encoding) SELECT image_id, face_index, box_left, box_top, box_right,"
                    " box_bottom, detector_score, crop_jpeg, sharpness, quality, landmarks,"
                    " encoding FROM new_faces"
                )
                if attributes_model is not None:
                    con.execute(
                        "INSERT INTO face_attributes (face_id, age, age_spread, male_probability,"
                        " model, skipped) SELECT f.face_id, n.age, n.age_spread,"
                        " n.male_probability, ?, n.attributes_skipped FROM new_faces n"
                        " JOIN faces f ON f.image_id = n.image_id AND f.face_index = n.face_index"
                        " WHERE n.age IS NOT NULL OR n.attributes_skipped IS NOT NULL",
                        [attributes_model],
                    )
            finally:
                con.unregister("new_faces")


def _fixed_list(matrix: np.ndarray, width: int) -> pa.FixedSizeListArray:
    return pa.FixedSizeListArray.from_arrays(pa.array(matrix.astype(np.float32).ravel()), width)


def faces_without_attributes(con: duckdb.DuckDBPyConnection) -> int:
    """Faces the age and gender models have not seen yet (forgotten faces aside)."""
    return con.execute(
        "SELECT count(*) FROM faces f ANTI JOIN face_attributes a USING (face_id)"
        " WHERE NOT f.forgotten"
    ).fetchall()[0][0]


def photos_without_attributes(con: duckdb.DuckDBPyConnection) -> list:
    """Stored photos (not missing) with faces the age and gender models have not seen, as
    `PhotoFaces`."""
    rows = con.execute(
        "SELECT i.image_id, i.path, i.path_bytes, i.detection, list(f.face_id ORDER BY f.face_id),"
        " list([f.box_left, f.box_top, f.box_right, f.box_bottom] ORDER BY f.face_id),"
        " list(f.landmarks ORDER BY f.face_id), list(f.sharpness ORDER BY f.face_id)"
        " FROM faces f ANTI JOIN face_attributes a USING (face_id)"
        " JOIN images i USING (image_id)"
        " WHERE NOT f.forgotten AND i.missing_since IS NULL"
        " GROUP BY ALL ORDER BY i.image_id"
    ).fetchall()
    return [
        PhotoFaces(
            image_id,
            os_path(path, raw),
            detection,
            face_ids,
            [tuple(box) for box in boxes],
            [None if points is None else np.asarray(points, np.float32) for points in landmarks],
            sharpness,
        )
        for image_id, path, raw, detection, face_ids, boxes, landmarks, sharpness in rows
    ]


def write_attributes(con: duckdb.DuckDBPyConnection, results: Sequence, model: str) -> None:
    """Store estimates (`Estimated`); a face that has a row
    already keeps it (a second writer cannot duplicate one)."""
    rows = [
        (
            face_id,
            None if estimate is None else estimate.age,
            None if estimate is None else estimate.age_spread,
            None if estimate is None else estimate.male_probability,
            model,
            reason,
        )
        for result in results
        for face_id, estimate, reason in result.faces
    ]
    if not rows:
        return
    columns = ("face_id", "age", "age_spread", "male_probability", "model", "skipped")
    types = (pa.int64(), pa.float32(), pa.float32(), pa.float32(), pa.string(), pa.string())
    values = zip(*rows, strict=True)
    table = pa.table(
        {
            name: pa.array(column, type=kind)
            for name, kind, column in zip(columns, types, values, strict=True)
        }
    )
    con.register("new_attributes", table)
    try:
        con.execute(
            "INSERT INTO face_attributes SELECT n.* FROM new_attributes n"
            " JOIN faces f USING (face_id) WHERE NOT f.forgotten ON CONFLICT DO NOTHING"
        )
    finally:
        con.unregister("new_attributes")


def library_stats(con: duckdb.DuckDBPyConnection) -> dict:
    """Counts of images (by status, missing) and faces."""
    by_status = dict(con.execute("SELECT status, count(*) FROM images GROUP BY status").fetchall())
    images, missing = con.execute("SELECT count(*), count(missing_since) FROM images").fetchall()[0]
    faces = con.execute("SELECT count(*) FROM faces").fetchall()[0][0]
    return {
        "images": images,
        "faces": faces,
        "errors": by_status.get("error", 0),
        "by_status": {status: by_status.get(status, 0) for status in ("ok", "no_faces", "error")},
        "missing": missing,
    }


def photo_files(con: duckdb.DuckDBPyConnection, image_ids: Sequence[int]) -> dict[int, str]:
    """Where each photo is on disk (the exact name, for names that are not UTF-8)."""
    rows = con.execute(
        "SELECT image_id, path, path_bytes FROM images WHERE image_id IN (SELECT unnest(?))"
        " AND missing_since IS NULL",
        [list(image_ids)],
    ).fetchall()
    return {image_id: os_path(path, raw) for image_id, path, raw in rows}


def photo_with_faces(con: duckdb.DuckDBPyConnection, image_id: int) -> dict | None:
    """A stored photo with its faces (box, person and name), or None."""
    found = con.execute(
        "SELECT image_id, path, width, height, taken_at FROM images WHERE image_id = ?",
        [image_id],
    ).fetchall()
    if not found:
        return None
    photo = dict(zip(("image_id", "path", "width", "height", "taken_at"), found[0], strict=True))
    rows = con.execute(
        "SELECT f.face_id, f.box_left, f.box_top, f.box_right, f.box_bottom, f.person_id,"
        " p.name, f.not_a_face FROM faces f LEFT JOIN people p USING (person_id)"
        " WHERE f.image_id = ? AND NOT f.forgotten ORDER BY f.face_index",
        [image_id],
    ).fetchall()
    keys = ("face_id", "left", "top", "right", "bottom", "person_id", "name", "not_a_face")
    photo["faces"] = [dict(zip(keys, row, strict=True)) for row in rows]
    return photo


def image_errors(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    return con.execute(
        "SELECT path, error FROM images WHERE status = 'error' ORDER BY path"
    ).fetchall()


def iter_face_crops(
    con: duckdb.DuckDBPyConnection, batch_size: int = 500
) -> Iterator[tuple[int, str, tuple[int, int, int, int], bytes]]:
    """``(face_id, image path, box, crop JPEG)`` for every face, in face_id order."""
    last = 0
    while True:
        rows = con.execute(
            "SELECT f.face_id, i.path, f.box_left, f.box_top, f.box_right, f.box_bottom,"
            " f.crop_jpeg FROM faces f JOIN images i USING (image_id)"
            " WHERE f.face_id > ? AND f.crop_jpeg IS NOT NULL ORDER BY f.face_id LIMIT ?",
            [last, batch_size],
        ).fetchall()
        if not rows:
            return
        for face_id, path, left, top, right, bottom, crop in rows:
            yield face_id, path, (left, top, right, bottom), crop
        last = rows[-1][0]
