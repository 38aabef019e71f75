"""A part of a video in, its shots and their tracks out (`video`): what a worker does for a
video.

Like `analyse`, it touches no database and never raises: a video that cannot be read becomes
one result with ``status="error"`` and a one-line reason.
"""

from __future__ import annotations

import numpy as np

from ..errors import PhotoError
from ..faces import detect as face_ops
from ..faces.encode import face_encoder
from .analyse import analyse_photos, face_records, locate_faces
from .records import FaceRecord, PhotoResult
from .scan import file_stamp
from .settings import DetectionSettings
from .video import (
    Sighting,
    Track,
    follow,
    is_cut,
    is_video_path,
    open_video,
    parse_part,
    picture_second,
    shot_path,
    shot_time,
    stretches,
    thumbnail,
)


def analyse_items(paths: list[str], settings: DetectionSettings) -> list[PhotoResult]:
    """What ingest's workers do: `analyse_photos` for the photos, `analyse_video_part` for
    each part of a video (`video.part_path`)."""
    photos = [p for p in paths if not is_video_path(parse_part(p)[0])]
    results = analyse_photos(photos, settings) if photos else []
    for path in paths:
        if is_video_path(parse_part(path)[0]):
            results += analyse_video_part(path, settings)
    return results


def analyse_video_part(part: str, settings: DetectionSettings) -> list[PhotoResult]:
    """The stretches of a part of a video (`video.part_path`) in which people are seen
    together (`video.stretches`; each a result of kind ``shot`` whose faces are its tracks),
    then the part itself (kind ``part``: what ingest records of its progress in the video)."""
    path, start, end = parse_part(part)
    size, mtime_ns = file_stamp(path) or (0, 0)
    done = PhotoResult(path=part, size_bytes=size, mtime_ns=mtime_ns, status="error")
    done.kind = "part"
    try:
        max_side = settings.max_side * 2**settings.upsample
        info, frames = open_video(path, settings.video_every, max_side, start, end)
        long_side = max(info.width, info.height)  # the same whichever way the video turns
        sightings, shots, seconds = _sight_faces(frames, long_side, settings)
    except PhotoError as exc:
        done.error = str(exc)
        return [done]
    except OSError as exc:
        done.error = f"cannot read file: {exc.strerror or exc}"
        return [done]
    shot_starts: dict[int, float] = {}
    for shot, second in zip(shots, seconds, strict=True):
        shot_starts.setdefault(shot, second)
    results = []
    for stretch in stretches(follow(sightings, shots)):
        begin, finish = min(t.start for t in stretch), max(t.end for t in stretch)
        shot = PhotoResult(
            path=shot_path(path, begin, finish),
            size_bytes=size,
            mtime_ns=mtime_ns,
            status="ok",
            width=info.width,
            height=info.height,
            taken_at=shot_time(info.taken_at, begin),
            faces=[_track_face(t) for t in stretch],
        )
        shot.kind, shot.duration_s = "shot", finish - begin
        shot.frame_s, shot.shot_s = picture_second(stretch), shot_starts[stretch[0].shot]
        results.append(shot)
    done.status = "ok" if results else "no_faces"
    done.shots = [r.path for r in results]
    return [*results, done]


def _sight_faces(frames, long_side: int, settings: DetectionSettings):
    """Every sampled frame's faces (each a `Sighting` carrying its `FaceRecord`, in the
    coordinates of the video's full size, upright: `long_side` is its long side), the shot of
    each frame and its second."""
    encoder = face_encoder(settings.encoder)
    sightings: list[list[Sighting]] = []
    shots: list[int] = []
    seconds: list[float] = []
    previous = None
    for frame in frames:
        seconds.append(frame.seconds)
        small = thumbnail(frame.pixels)
        cut = frame.cut or is_cut(previous, small)
        shots.append((shots[-1] + 1 if shots else 0) if cut else shots[-1])
        previous = small
        to_original = long_side / max(frame.pixels.shape[:2])
        height, width = (round(side * to_original) for side in frame.pixels.shape[:2])
        try:
            boxes, shapes = locate_faces(frame.pixels, settings, width)
            chips = face_ops.face_chips(frame.pixels, shapes)
            encodings = encoder.encode(chips, settings.jitters) if len(chips) else []
        except Exception as exc:  # a dlib failure on one frame must not stop the video
            raise PhotoError(f"face detection failed at {frame.seconds:.0f} s: {exc}") from None
        faces = face_records(frame.pixels, boxes, shapes, to_original, (width, height))
        found = []
        for face, encoding in zip(faces, encodings, strict=True):
            face.encoding = np.asarray(encoding, np.float32)
            found.append(Sighting(frame.seconds, face.box, face.encoding, face))
        sightings.append(found)
    return sightings, shots, seconds


def _track_face(track: Track) -> FaceRecord:
    best = track.best
    face: FaceRecord = best.face
    face.start_s, face.end_s, face.best_s = track.start, track.end, best.seconds
    return face
