"""Storing analysed photos: each photo and its faces in one transaction, a face found again
keeping the identity of the stored face it is (`same_faces`)."""

from __future__ import annotations

from collections.abc import Sequence

import duckdb
import numpy as np
import pyarrow as pa

from ..library import transaction
from .records import FaceRecord, PhotoResult, stored_path
from .same_faces import FORGOTTEN_IOU, match_faces
from .video import FRAGMENT, parse_part

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
    "sidecars": pa.string(),
    "photo_hash": pa.binary(),
    "kind": pa.string(),
    "duration_s": pa.float64(),
    "frame_s": pa.float64(),
    "shot_s": pa.float64(),
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
    detection = excluded.detection, sidecars = excluded.sidecars,
    photo_hash = excluded.photo_hash, kind = excluded.kind, duration_s = excluded.duration_s,
    frame_s = excluded.frame_s, shot_s = excluded.shot_s,
    ingested_at = now(),
    missing_since = NULL
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
            len(r.faces), detection, r.sidecars, r.photo_hash, r.kind, r.duration_s, r.frame_s,
            r.shot_s,
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
    video_reading: str | None = None,
) -> int:
    """Store analysed photos and their faces in one transaction; returns how many faces found
    again kept the identity of a stored face.

    A photo stored before gets its new faces in place of the old, so re-processing never
    duplicates a face. A new face where a stored face was (`same_faces`) keeps that face's row:
    its id, person, edits, "not a face". A forgotten face stays forgotten (no new face is stored
    over it) and the other old faces go. Faces' age and gender estimates (or why they have
    none) are stored with them, labelled `attributes_model`. Parts of videos done are recorded
    with `video_reading` (`video_parts.reading`; `detection` when None).
    """
    parts = [r for r in results if r.kind == "part"]  # not items: progress in a video
    items = [r for r in results if r.kind != "part"]
    if not results:
        return 0
    with transaction(con):
        for part in parts:  # before the videos finished by them, whose records go
            _record_part(con, part, video_reading or detection)
        return _write_items(con, items, detection, attributes_model) if items else 0


def _write_items(
    con: duckdb.DuckDBPyConnection,
    results: Sequence[PhotoResult],
    detection: str,
    attributes_model: str | None,
) -> int:
    rows: dict[str, list] = {name: [] for name in _FACE_COLUMNS}
    landmarks, detector_landmarks, encodings = [], [], []
    image_ids = _upsert_images(con, results, detection)
    before = _stored_faces(con, image_ids)
    carried, dropped, renumber = [], [], []
    placed: list[tuple[int, int, FaceRecord]] = []  # (face_id or 0, image_id, face)
    for image_id, result in zip(image_ids, results, strict=True):
        stored = before.get(image_id, [])
        live = [face for face in stored if not face[2]]
        forgotten = [face for face in stored if face[2]]
        boxes = [face.box for face in result.faces]
        hidden = match_faces(boxes, [face[1] for face in forgotten], FORGOTTEN_IOU)
        fresh = [i for i in range(len(boxes)) if i not in hidden]
        same = match_faces([boxes[i] for i in fresh], [face[1] for face in live])
        kept_ids = {live[j][0] for j in same.values()}
        dropped += [face[0] for face in live if face[0] not in kept_ids]
        for position, i in enumerate(fresh):
            face_id = live[same[position]][0] if position in same else 0
            placed.append((face_id, image_id, result.faces[i]))
        carried.append(len(same))
        renumber += [(face[0], len(fresh) + n) for n, face in enumerate(forgotten)]
    _delete_faces(con, dropped)
    con.execute(
        "DELETE FROM face_attributes WHERE face_id IN"
        " (SELECT face_id FROM faces WHERE image_id IN (SELECT unnest(?)))",
        [image_ids],
    )
    new_ids = iter(_next_face_ids(con, sum(1 for face_id, *_ in placed if not face_id)))
    index_in_photo: dict[int, int] = {}
    for face_id, image_id, face in placed:
        rows["face_id"].append(face_id or next(new_ids))
        rows["carried"].append(bool(face_id))
        rows["image_id"].append(image_id)
        rows["face_index"].append(index_in_photo.setdefault(image_id, 0))
        index_in_photo[image_id] += 1
        left, top, right, bottom = face.box
        rows["box_left"].append(left)
        rows["box_top"].append(top)
        rows["box_right"].append(right)
        rows["box_bottom"].append(bottom)
        rows["detector_score"].append(face.score)
        rows["crop_jpeg"].append(face.crop_jpeg)
        rows["sharpness"].append(face.sharpness)
        rows["quality"].append(face.quality)
        estimate = face.attributes
        rows["age"].append(estimate.age if estimate else None)
        rows["age_spread"].append(estimate.age_spread if estimate else None)
        rows["male_probability"].append(estimate.male_probability if estimate else None)
        rows["attributes_skipped"].append(face.attributes_skipped)
        for name in ("start_s", "end_s", "best_s"):
            rows[name].append(getattr(face, name))
        landmarks.append(np.asarray(face.landmarks, dtype=np.float32).reshape(10))
        points = face.detector_landmarks
        detector_landmarks.append(
            None if points is None else np.asarray(points, np.float32).reshape(10)
        )
        encodings.append(np.asarray(face.encoding, dtype=np.float32).reshape(128))
    if renumber:
        con.executemany("UPDATE faces SET face_index = ? WHERE face_id = ?",
                        [(index, face_id) for face_id, index in renumber])  # fmt: skip
    if encodings:
        _write_faces(con, rows, landmarks, detector_landmarks, encodings, attributes_model)
    stored_ids = zip(placed, rows["face_id"], strict=True)
    _write_regions(con, image_ids, results, {id(f): i for (_, _, f), i in stored_ids})
    for result in results:
        if result.kind == "video":  # all its parts are in: their records go
            con.execute("DELETE FROM video_parts WHERE path = ?", [stored_path(result.path)[0]])
    return sum(carried)


def _record_part(con: duckdb.DuckDBPyConnection, part: PhotoResult, detection: str) -> None:
    """A part of a video is stored (its shots are, in the same transaction): the shots an earlier
    analysis found in its seconds and not found now go, and it is recorded as done
    (``video_parts``; an error is not: the part is tried again)."""
    video, start, end = parse_part(part.path)
    path = stored_path(video)[0]
    if part.status == "error":
        return
    _remove_old_shots(con, path, [stored_path(shot)[0] for shot in part.shots], (start, end))
    con.execute(
        "DELETE FROM video_parts WHERE path = ? AND (size_bytes != ? OR mtime_ns != ?"
        " OR detection != ?)",
        [path, part.size_bytes, part.mtime_ns, detection],
    )
    con.execute(
        "INSERT OR REPLACE INTO video_parts VALUES (?, ?, ?, ?, ?, ?, ?)",
        [path, part.size_bytes, part.mtime_ns, detection, start, end, len(part.shots)],
    )


def _remove_old_shots(
    con: duckdb.DuckDBPyConnection,
    video: str,
    shots: Sequence[str],
    within: tuple[float, float | None],
) -> None:
    """Remove the shots of `video` starting `within` the seconds of a part, stored by an
    earlier analysis and not found now (paths as stored, `records.stored_path`)."""
    prefix, now = video + FRAGMENT, set(shots)
    start, end = within
    old = []
    for image_id, path in con.execute(
        "SELECT image_id, path FROM images WHERE kind = 'shot' AND starts_with(path, ?)",
        [prefix],
    ).fetchall():
        begins = parse_part(path)[1]
        if path not in now and begins >= start - 0.05 and (end is None or begins < end - 0.05):
            old.append(image_id)
    if old:
        faces = [f for (f,) in con.execute(
            "SELECT face_id FROM faces WHERE image_id IN (SELECT unnest(?))", [old]
        ).fetchall()]  # fmt: skip
        _delete_faces(con, faces)
        con.execute("DELETE FROM photo_regions WHERE image_id IN (SELECT unnest(?))", [old])
        con.execute("DELETE FROM images WHERE image_id IN (SELECT unnest(?))", [old])


def _write_regions(
    con: duckdb.DuckDBPyConnection,
    image_ids: Sequence[int],
    results: Sequence[PhotoResult],
    face_ids: dict[int, int],
) -> None:
    """The photos' metadata regions in place of those stored, each with its face's id. A name
    the file gave before and still gives stays applied (a person moved in facegraph since keeps
    that move); a new or changed name is applied when faces are next clustered."""
    before: dict[tuple[int, int], tuple[str | None, bool]] = {
        (image_id, face_id): (name, applied)
        for image_id, face_id, name, applied in con.execute(
            "SELECT image_id, face_id, name, applied FROM photo_regions"
            " WHERE face_id IS NOT NULL AND image_id IN (SELECT unnest(?))",
            [list(image_ids)],
        ).fetchall()
    }
    con.execute("DELETE FROM photo_regions WHERE image_id IN (SELECT unnest(?))", [list(image_ids)])
    rows = []
    for image_id, result in zip(image_ids, results, strict=True):
        for index, record in enumerate(result.regions):
            region = record.region
            face_id = None
            if record.face is not None and record.face < len(result.faces):
                face_id = face_ids.get(id(result.faces[record.face]))
            # a face that stays forgotten keeps no name
            name = None if record.face is not None and face_id is None else region.name
            old_name, was_applied = before.get((image_id, face_id), (None, False))
            same = was_applied and (old_name or "").casefold() == (name or "").casefold()
            previous = old_name if was_applied and not same else None
            box = region.box or (None, None, None, None)
            rows.append(
                (image_id, index, region.standard, region.kind, name, *box,
                 result.region_source or "embedded", face_id, record.made_face, same, previous)
            )  # fmt: skip
    if rows:
        con.executemany(
            "INSERT INTO photo_regions (image_id, region_index, standard, region_type, name,"
            " box_left, box_top, box_right, box_bottom, source, face_id, made_face, applied,"
            " previous_name) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )


_FACE_COLUMNS = (
    "face_id", "carried", "image_id", "face_index", "box_left", "box_top", "box_right",
    "box_bottom", "detector_score", "crop_jpeg", "sharpness", "quality", "age", "age_spread",
    "male_probability", "attributes_skipped", "start_s", "end_s", "best_s",
)  # fmt: skip
#: what a face found again takes from the new analysis (the rest of its row it keeps)
_ANALYSED = (
    "face_index", "box_left", "box_top", "box_right", "box_bottom", "detector_score",
    "crop_jpeg", "sharpness", "quality", "landmarks", "detector_landmarks", "encoding",
    "start_s", "end_s", "best_s",
)  # fmt: skip


def _stored_faces(con: duckdb.DuckDBPyConnection, image_ids: Sequence[int]) -> dict[int, list]:
    """``{image_id: [(face_id, box, forgotten)]}`` of the photos' stored faces."""
    found: dict[int, list] = {}
    for image_id, face_id, *box, forgotten in con.execute(
        "SELECT image_id, face_id, box_left, box_top, box_right, box_bottom, forgotten"
        " FROM faces WHERE image_id IN (SELECT unnest(?)) ORDER BY face_index, face_id",
        [list(image_ids)],
    ).fetchall():
        found.setdefault(image_id, []).append((face_id, tuple(box), forgotten))
    return found


def _delete_faces(con: duckdb.DuckDBPyConnection, face_ids: Sequence[int]) -> None:
    if not face_ids:
        return
    for table in ("face_attributes", "face_rejections", "faces"):
        con.execute(f"DELETE FROM {table} WHERE face_id IN (SELECT unnest(?))", [list(face_ids)])


def _next_face_ids(con: duckdb.DuckDBPyConnection, count: int) -> list[int]:
    if not count:
        return []
    rows = con.execute("SELECT nextval('face_id_seq') FROM range(?)", [count]).fetchall()
    return [row[0] for row in rows]


def _write_faces(con, rows: dict, landmarks, detector_landmarks, encodings, attributes_model):
    """Insert the new faces and update those found again, from one Arrow table."""
    table = pa.table(
        {
            **{
                name: pa.array(values, type=pa.int64() if name.endswith("_id") else None)
                for name, values in rows.items()
            },
            "landmarks": _fixed_list(np.stack(landmarks), 10),
            "detector_landmarks": _optional_fixed_list(detector_landmarks, 10),
            "encoding": _fixed_list(np.stack(encodings), 128),
        }
    )
    con.register("new_faces", table)
    try:
        con.execute(
            "UPDATE faces SET "
            + ", ".join(f"{name} = n.{name}" for name in _ANALYSED)
            + " FROM new_faces n WHERE n.carried AND faces.face_id = n.face_id"
        )
        columns = ", ".join(("face_id", "image_id", *_ANALYSED))
        con.execute(
            f"INSERT INTO faces ({columns}) SELECT {columns} FROM new_faces WHERE NOT carried"
        )
        if attributes_model is not None:
            con.execute(
                "INSERT INTO face_attributes (face_id, age, age_spread, male_probability,"
                " model, skipped) SELECT face_id, age, age_spread, male_probability, ?,"
                " attributes_skipped FROM new_faces"
                " WHERE age IS NOT NULL OR attributes_skipped IS NOT NULL",
                [attributes_model],
            )
    finally:
        con.unregister("new_faces")


def _fixed_list(matrix: np.ndarray, width: int) -> pa.FixedSizeListArray:
    return pa.FixedSizeListArray.from_arrays(pa.array(matrix.astype(np.float32).ravel()), width)


def _optional_fixed_list(vectors: list, width: int) -> pa.FixedSizeListArray:
    """Rows of `width` floats, NULL where a row is None."""
    values = np.stack([np.zeros(width, np.float32) if v is None else v for v in vectors])
    mask = pa.array([v is None for v in vectors])
    return pa.FixedSizeListArray.from_arrays(pa.array(values.ravel()), width, mask=mask)
