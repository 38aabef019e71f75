"""Videos in parts: ingest's side of it (the writer process).

A video to analyse is cut into parts (`DetectionSettings.video_part` seconds), each analysed
on its own by a worker (`analyse_video.analyse_video_part`) and stored, with its shots, in
one transaction that also records the part as done (``video_parts``). A killed or interrupted ingest
therefore carries on from the parts already stored, when the file and the detection settings
are the same; the video's own row is written once its last part is in, so until then the
video counts as not yet analysed.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

from ..errors import PhotoError
from .records import PhotoResult
from .scan import file_stamp, hash_file
from .settings import DetectionSettings
from .video import is_video_path, parse_part, part_path, probe_video

#: ``(video path, size, mtime_ns) -> {(start, end): shots stored}`` of the parts already done
PartsDone = Callable[[str, int, int], dict[tuple[float, float | None], int]]


@dataclass
class _Video:
    result: PhotoResult  # its row, written when the last part is in
    waiting: set[str]
    shots: int
    errors: list[tuple[float, str]] = field(default_factory=list)


class VideoParts:
    """The parts of the videos of one ingest run: which to analyse, and each video's row once
    they are all in."""

    def __init__(self, part_seconds: float) -> None:
        self._videos: dict[str, _Video] = {}
        self._part_seconds = part_seconds

    def plan(self, paths: list[str], done: PartsDone) -> tuple[list[str], list[PhotoResult]]:
        """What to analyse for `paths`: the photos as they are and the videos' parts not
        done yet; and the rows of the videos that need no analysis (not readable, or every
        part already stored)."""
        work: list[str] = []
        ready: list[PhotoResult] = []
        for path in paths:
            if not is_video_path(path):
                work.append(path)
                continue
            size, mtime_ns = file_stamp(path) or (0, 0)
            row = PhotoResult(path=path, size_bytes=size, mtime_ns=mtime_ns, status="error")
            row.kind = "video"
            try:
                info = probe_video(path)
            except PhotoError as exc:
                row.error = str(exc)
                ready.append(row)
                continue
            except OSError as exc:
                row.error = f"cannot read file: {exc.strerror or exc}"
                ready.append(row)
                continue
            row.width, row.height, row.duration_s = info.width, info.height, info.duration_s
            row.taken_at, row.orientation = info.taken_at, info.orientation
            stored = done(path, size, mtime_ns)
            parts = [
                part
                for part in _parts(path, info.duration_s, self._part_seconds)
                if parse_part(part)[1:] not in stored
            ]
            video = _Video(row, set(parts), sum(stored.values()))
            self._videos[path] = video
            if parts:
                work += parts
            else:
                ready.append(self._finish(video))
        return work, ready

    def part_done(self, part: PhotoResult) -> PhotoResult | None:
        """Take a finished part (its shots are stored with it); the video's row when it was
        the last."""
        path, start, _ = parse_part(part.path)
        video = self._videos[path]
        video.waiting.discard(part.path)
        video.shots += len(part.shots)
        if part.status == "error":
            video.errors.append((start, part.error or "unknown error"))
        return None if video.waiting else self._finish(video)

    def _finish(self, video: _Video) -> PhotoResult:
        row = video.result
        del self._videos[row.path]
        if video.errors:
            row.error = min(video.errors)[1]
            return row
        try:
            row.content_hash = hash_file(row.path)
        except OSError as exc:
            row.error = f"cannot read file: {exc.strerror or exc}"
            return row
        row.status = "ok" if video.shots else "no_faces"
        return row


def reading(settings: DetectionSettings) -> str:
    """How the parts of a video are read, as recorded with them: a part stored by an ingest
    with other settings is analysed again."""
    return f"{settings.describe()} every={settings.video_every:g}"


def _parts(path: str, duration: float | None, seconds: float) -> list[str]:
    """The parts of `seconds` of a video of `duration` seconds (one when it is not known);
    the last runs to its end, whatever the header said."""
    count = max(1, math.ceil((duration or 0) / seconds - 1e-6))
    starts = [k * seconds for k in range(count)]
    ends: list[float | None] = [*starts[1:], None]
    return [part_path(path, start, end) for start, end in zip(starts, ends, strict=True)]


def work_units(paths: list[str], photos_per_unit: int) -> list[list[str]]:
    """`paths` (photos and videos' parts) as the units a worker takes: each part of a video
    alone, first (the longest work first keeps every worker busy at the end); photos by
    `photos_per_unit`."""
    parts = [[p] for p in paths if is_video_path(parse_part(p)[0])]
    photos = [p for p in paths if not is_video_path(parse_part(p)[0])]
    size = max(1, photos_per_unit)
    return parts + [photos[i : i + size] for i in range(0, len(photos), size)]
