"""Every read and write of images and faces in the library's DuckDB database."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace

import duckdb
import numpy as np
import pyarrow as pa

from .records import KnownImage, PhotoFaces, os_path, stored_path
from .video import parse_part, part_path


def known_images(con: duckdb.DuckDBPyConnection) -> dict[str, KnownImage]:
    """Every stored photo, by the path to open it at."""
    rows = con.execute(
        "SELECT image_id, path, size_bytes, mtime_ns, status, content_hash,"
        " missing_since IS NOT NULL, detection, sidecars, path_bytes FROM images"
        " WHERE kind != 'shot'"  # a shot is a part of a video file, not a file
    ).fetchall()
    known = {}
    for *fields, raw in rows:
        image = KnownImage(*fields)
        known[os_path(image.path, raw)] = replace(image, path=os_path(image.path, raw))
    return known


def record_moves(
    con: duckdb.DuckDBPyConnection, moves: Sequence[tuple[int, str, int, int]]
) -> None:
    """Photos found at a new path: ``(image_id, new_path, size_bytes, mtime_ns)``; a video's
    shots (``VIDEO#t=...``) move with it."""
    if not moves:
        return
    ids = [image_id for image_id, *_ in moves]
    old = dict(con.execute(
        "SELECT image_id, path FROM images WHERE kind = 'video' AND image_id IN (SELECT unnest(?))",
        [ids],
    ).fetchall())  # fmt: skip
    videos = [(stored_path(path)[0], old[i], old[i]) for i, path, *_ in moves if i in old]
    if videos:
        con.executemany(
            "UPDATE images SET path = ? || substr(path, length(?) + 1), missing_since = NULL"
            " WHERE kind = 'shot' AND starts_with(path, ? || '#t=')",
            videos,
        )
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


def faces_without_attributes(con: duckdb.DuckDBPyConnection) -> int:
    """Faces the age and gender models have not seen yet (forgotten faces aside)."""
    return con.execute(
        "SELECT count(*) FROM faces f ANTI JOIN face_attributes a USING (face_id)"
        " WHERE NOT f.forgotten"
    ).fetchall()[0][0]


def photos_without_attributes(con: duckdb.DuckDBPyConnection) -> list:
    """Stored photos (not missing; not videos) with faces the age and gender models have not
    seen, as `PhotoFaces`."""
    rows = con.execute(
        "SELECT i.image_id, i.path, i.path_bytes, i.detection, list(f.face_id ORDER BY f.face_id),"
        " list([f.box_left, f.box_top, f.box_right, f.box_bottom] ORDER BY f.face_id),"
        " list(f.landmarks ORDER BY f.face_id), list(f.sharpness ORDER BY f.face_id)"
        " FROM faces f ANTI JOIN face_attributes a USING (face_id)"
        " JOIN images i USING (image_id)"
        " WHERE NOT f.forgotten AND i.missing_since IS NULL"
        " AND i.kind = 'photo'"  # a video's frames are not kept to cut faces from again
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
    """Counts of images (by status, missing), faces, and the regions of the photos' XMP."""
    files = "FROM images WHERE kind != 'shot'"  # a video's shots are parts of its file
    by_status = dict(con.execute(f"SELECT status, count(*) {files} GROUP BY status").fetchall())
    images, missing = con.execute(f"SELECT count(*), count(missing_since) {files}").fetchall()[0]
    faces = con.execute("SELECT count(*) FROM faces").fetchall()[0][0]
    regions, named, made = con.execute(
        "SELECT count(*), count(*) FILTER (WHERE name IS NOT NULL AND face_id IS NOT NULL),"
        " count(*) FILTER (WHERE made_face) FROM photo_regions"
    ).fetchall()[0]
    in_moments, moments = moment_counts(con)
    return {
        "images": images,
        "faces": faces,
        #: near-duplicates (bursts, reposts): photos that share a moment, and those moments
        "duplicates": {"photos": int(in_moments), "moments": int(moments)},
        #: from the photos' XMP: regions read, faces they name, faces made from a region
        "regions": {"regions": regions, "named_faces": named, "faces_from_regions": made},
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


def moment_inputs(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    """``(image_id, path, photo_hash, taken_at, camera, shape)`` of every photo (not video) with
    faces that is where it was: what near-duplicates are judged by (`moments`); `path` is the one to
    open."""
    rows = con.execute(
        "SELECT image_id, path, path_bytes, photo_hash, taken_at,"
        " coalesce(camera_make, '') || '/' || coalesce(camera_model, ''),"
        " width / nullif(height, 0) FROM images"
        " WHERE status = 'ok' AND kind = 'photo' AND missing_since IS NULL ORDER BY image_id"
    ).fetchall()
    return [(row[0], os_path(row[1], row[2]), *row[3:]) for row in rows]


def set_photo_hashes(con: duckdb.DuckDBPyConnection, hashes: Sequence[tuple[int, bytes]]) -> None:
    if hashes:
        table = pa.table(
            {
                "image_id": pa.array([i for i, _ in hashes], pa.int64()),
                "photo_hash": pa.array([h for _, h in hashes], pa.binary()),
            }
        )
        con.register("new_hashes", table)
        try:
            con.execute(
                "UPDATE images SET photo_hash = n.photo_hash FROM new_hashes n"
                " WHERE images.image_id = n.image_id"
            )
        finally:
            con.unregister("new_hashes")


def set_moments(con: duckdb.DuckDBPyConnection, moments: dict[int, int]) -> None:
    """Write each photo's moment (only rows that change are touched); photos not given get
    none."""
    table = pa.table(
        {
            "image_id": pa.array(list(moments), pa.int64()),
            "moment": pa.array(list(moments.values()), pa.int64()),
        }
    )
    con.register("new_moments", table)
    try:
        con.execute(
            "UPDATE images SET moment = n.moment FROM new_moments n"
            " WHERE images.image_id = n.image_id AND images.moment IS DISTINCT FROM n.moment"
        )
        con.execute(
            "UPDATE images SET moment = NULL WHERE moment IS NOT NULL"
            " AND image_id NOT IN (SELECT image_id FROM new_moments)"
        )
    finally:
        con.unregister("new_moments")


def photos_without_moment(con: duckdb.DuckDBPyConnection) -> int:
    """Photos with faces not yet grouped into moments (a library from before moments)."""
    return con.execute(
        "SELECT count(*) FROM images WHERE status = 'ok' AND kind = 'photo'"
        " AND missing_since IS NULL AND moment IS NULL"
    ).fetchall()[0][0]


def moment_counts(con: duckdb.DuckDBPyConnection) -> tuple[int, int]:
    """``(photos in moments of two or more, those moments)``."""
    return con.execute(
        "SELECT coalesce(sum(n), 0), count(*) FROM (SELECT count(*) AS n FROM images"
        " WHERE moment IS NOT NULL GROUP BY moment HAVING count(*) > 1)"
    ).fetchall()[0]


def video_parts_done(
    con: duckdb.DuckDBPyConnection, path: str, size: int, mtime_ns: int, detection: str
) -> dict[float, int]:
    """``{(start, end): shots}`` of the parts of the video at `path` stored by an ingest that
    did not finish it, for this very file (size, time) and `detection` (`video_parts`)."""
    rows = con.execute(
        "SELECT start_s, end_s, shots FROM video_parts WHERE path = ? AND size_bytes = ?"
        " AND mtime_ns = ? AND detection = ?",
        [stored_path(path)[0], size, mtime_ns, detection],
    ).fetchall()
    return {(start, end): shots for start, end, shots in rows}


def picture_addresses(con: duckdb.DuckDBPyConnection, image_ids: Sequence[int]) -> dict[int, str]:
    """What to show of each item (`pictures.open_picture`): a photo's file, or for a shot of a
    video ``VIDEO#t=SECOND``, its frame (photos no longer found are left out)."""
    rows = con.execute(
        "SELECT image_id, path, path_bytes, kind, frame_s FROM images"
        " WHERE image_id IN (SELECT unnest(?)) AND missing_since IS NULL",
        [list(image_ids)],
    ).fetchall()
    found = {}
    for image_id, path, raw, kind, second in rows:
        file = os_path(path, raw)
        if kind == "shot":
            video, start, _ = parse_part(file)
            file = part_path(video, second if second is not None else start, None)
        found[image_id] = file
    return found
