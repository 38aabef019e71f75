"""Faces in video: frames sampled every few seconds, cut into shots, faces followed from frame
to frame within a shot (tracks), each track stored once.

A video is an item of the library like a photo (``kind='video'``). Each stretch of a shot in
which people are seen together (tracks that overlap in time, `stretches`) is stored as an item
of its own, ``VIDEO#t=START,END`` (a media-fragment address: the video from START to END
seconds), dated from the video's creation time plus START, whose faces are its tracks: one face
per person followed, with its best frame's box, crop and encoding and the seconds it spans. So
people seen together are tied by it, like people in one photo; two people seen in one shot one
after the other are not; and a person followed for a minute is one face, not sixty.

Frames are decoded by FFmpeg (PyAV's wheel ships it), scaled by FFmpeg to the analysis size,
turned upright by the video's rotation; audio is never read.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from ..errors import PhotoError
from ..xmp.regions import overlap
from .cuts import CHANGE, mark_cuts

VIDEO_EXTENSIONS = frozenset({".mp4", ".mov", ".m4v", ".mkv", ".webm", ".avi"})
#: a face joins a track of its shot when their encodings lie this near
TRACK_DISTANCE = 0.5
#: ... or when its box overlaps the track's last box this much and the encodings are not far
TRACK_IOU, TRACK_LOOSE_DISTANCE = 0.4, 0.65
#: the marker between a video's path and a shot's seconds
FRAGMENT = "#t="


def is_video_path(path: str) -> bool:
    name = os.path.basename(path)
    return not name.startswith(".") and os.path.splitext(name)[1].lower() in VIDEO_EXTENSIONS


def shot_path(video: str, start: float, end: float) -> str:
    return f"{video}{FRAGMENT}{start:.1f},{end:.1f}"


def video_of(path: str) -> str:
    """The video file a shot's address names (a photo's path as it is)."""
    return path.split(FRAGMENT, 1)[0] if FRAGMENT in path else path


@dataclass
class VideoInfo:
    width: int
    height: int
    duration_s: float | None
    taken_at: datetime | None
    #: how the stored picture is turned to be shown, as an EXIF orientation (1: as stored,
    #: 6: a quarter clockwise, 3: half, 8: a quarter anticlockwise)
    orientation: int = 1


@dataclass
class Frame:
    seconds: float
    pixels: np.ndarray  # upright RGB
    #: a new shot starts at this frame (`cuts`: sampled for it, between the regular samples)
    cut: bool = False


@dataclass
class Sighting:
    """One face in one sampled frame."""

    seconds: float
    box: tuple[float, float, float, float]  # in the frame's pixels
    encoding: np.ndarray
    face: Any = None  # what is stored of it, should it be its track's best


@dataclass
class Track:
    shot: int
    sightings: list[Sighting] = field(default_factory=list)

    @property
    def best(self) -> Sighting:
        """The sighting its face is stored from: the widest (most detail)."""
        return max(self.sightings, key=lambda s: (s.box[2] - s.box[0], -s.seconds))

    @property
    def start(self) -> float:
        return self.sightings[0].seconds

    @property
    def end(self) -> float:
        return self.sightings[-1].seconds


def part_path(video: str, start: float, end: float | None) -> str:
    """The address of a part of a video analysed on its own (`video_parts`): from `start`
    to `end` seconds, or to its end when `end` is None (media-fragment syntax)."""
    return f"{video}{FRAGMENT}{start:.1f}" + (f",{end:.1f}" if end is not None else "")


def parse_part(path: str) -> tuple[str, float, float | None]:
    """``(video, start, end or None)`` of a `part_path`; a bare path is the whole video."""
    video, _, times = path.rpartition(FRAGMENT)
    start, _, end = times.partition(",")
    try:
        return video, float(start), float(end) if end else None
    except ValueError:  # no fragment (or a name that happens to contain one)
        return path, 0.0, None


def probe_video(path: str) -> VideoInfo:
    """The video's facts (its size as seen, upright), reading its header and first frame.
    Raises `PhotoError` with a one-line reason."""
    import av

    container, stream, info = _open(path)
    try:
        for frame in container.decode(stream):
            turns = round((getattr(frame, "rotation", 0) or 0) / 90) % 4  # anticlockwise
            if turns % 2:
                info.width, info.height = info.height, info.width
            info.orientation = (1, 8, 3, 6)[turns]
            break
    except av.error.FFmpegError as exc:
        reason = _reason(exc)
        raise PhotoError(f"damaged video: its first frame cannot be read ({reason})") from None
    finally:
        container.close()
    return info


def open_video(
    path: str, every: float, max_side: int, start: float = 0.0, end: float | None = None
) -> tuple[VideoInfo, Iterator[Frame]]:
    """The video's facts and its frames from `start` to `end` seconds (to its end when None),
    one every `every` seconds counted from `start`, scaled so the long side is at most
    `max_side`, upright. Raises `PhotoError` with a one-line reason."""
    container, stream, info = _open(path)
    scale = min(1.0, max_side / max(info.width, info.height))
    size = (max(2, round(info.width * scale)), max(2, round(info.height * scale)))
    if start > 0:
        container.seek(int(start / stream.time_base), stream=stream)  # the keyframe before
    return info, _frames(container, stream, (start, end, every), size, info)


def _open(path: str):
    import av

    if os.path.exists(path) and os.path.getsize(path) == 0:
        raise PhotoError("empty file (0 bytes)")
    try:
        container = av.open(path)
    except (av.error.FFmpegError, OSError, ValueError) as exc:
        raise PhotoError(f"not a video FFmpeg can read ({_reason(exc)})") from None
    if not container.streams.video:
        container.close()
        raise PhotoError("no video stream (audio only?)")
    stream = container.streams.video[0]
    stream.thread_type = "AUTO"
    width, height = stream.codec_context.width, stream.codec_context.height
    if not width or not height:
        container.close()
        raise PhotoError("the video stream has no picture size")
    duration = float(container.duration / av.time_base) if container.duration else None
    return container, stream, VideoInfo(width, height, duration, _creation_time(container))


def _frames(container, stream, span, size, info: VideoInfo) -> Iterator[Frame]:
    import av

    start, end, every = span
    next_at, sideways = start, False
    try:
        for frame, change in mark_cuts(container.decode(stream)):
            seconds = float(frame.time) if frame.time is not None else next_at
            if end is not None and seconds >= end - 1e-6:
                break
            if change == "flash" or seconds + 1e-6 < start:
                continue  # a flash is never sampled; frames before a part are the last's
            if seconds + 1e-6 < next_at and change != "cut":
                continue
            pixels = frame.to_ndarray(format="rgb24", width=size[0], height=size[1])
            turns = round((getattr(frame, "rotation", 0) or 0) / 90) % 4
            if turns:
                pixels = np.ascontiguousarray(np.rot90(pixels, turns))
            if turns % 2 and not sideways:  # the stored picture lies sideways: once
                info.width, info.height, sideways = info.height, info.width, True
            yield Frame(seconds, pixels, cut=change == "cut")
            if seconds + 1e-6 >= next_at:  # a cut between two samples leaves the step as is
                next_at = start + (int((seconds - start) / every + 1e-9) + 1) * every
    except av.error.FFmpegError as exc:
        raise PhotoError(
            f"damaged video: decoding stopped at {next_at:.0f} s ({_reason(exc)})"
        ) from None
    finally:
        container.close()


def _creation_time(container) -> datetime | None:
    text = (container.metadata or {}).get("creation_time")
    if not text:
        return None
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when.replace(tzinfo=None)


def thumbnail(pixels: np.ndarray) -> np.ndarray:
    """A frame as the mean colour of each cell of an 8x8 grid, to tell shots apart."""
    height, width = pixels.shape[:2]
    rows = np.linspace(0, height, 9).astype(int)
    cols = np.linspace(0, width, 9).astype(int)
    step = max(1, max(height, width) // 256)
    return np.array(
        [
            [pixels[r0:r1:step, c0:c1:step].reshape(-1, 3).mean(axis=0) for c0, c1 in
             zip(cols[:-1], cols[1:], strict=True)]
            for r0, r1 in zip(rows[:-1], rows[1:], strict=True)
        ],
        np.float32,
    )  # fmt: skip


def is_cut(previous: np.ndarray | None, current: np.ndarray) -> bool:
    """Whether the frame of thumbnail `current` starts a new shot after `previous`'s: most of
    the picture changed (the median cell), not just a part (someone walking in)."""
    if previous is None:
        return True
    return float(np.median(np.abs(current - previous).mean(axis=2))) > CHANGE


def follow(sightings: list[list[Sighting]], shots: list[int]) -> list[Track]:
    """Tracks from each sampled frame's faces (`shots`: the shot of each frame): a face joins
    the nearest track of its shot not already seen in its frame, else starts one."""
    tracks: list[Track] = []
    for frame_faces, shot in zip(sightings, shots, strict=True):
        open_tracks = [t for t in tracks if t.shot == shot]
        pairs = []
        for s in frame_faces:
            for t in open_tracks:
                last = t.sightings[-1]
                gap = float(np.linalg.norm(last.encoding - s.encoding))
                if gap < TRACK_DISTANCE or (
                    gap < TRACK_LOOSE_DISTANCE and overlap(last.box, s.box) >= TRACK_IOU
                ):
                    pairs.append((gap, id(s), s, t))
        taken_faces, taken_tracks = set(), set()
        for _, key, s, t in sorted(pairs, key=lambda p: p[:2]):
            if key in taken_faces or id(t) in taken_tracks:
                continue
            t.sightings.append(s)
            taken_faces.add(key)
            taken_tracks.add(id(t))
        for s in frame_faces:
            if id(s) not in taken_faces:
                tracks.append(Track(shot, [s]))
    return tracks


def stretches(tracks: list[Track]) -> list[list[Track]]:
    """The tracks grouped into stretches of one shot in which the people seen overlap in time:
    a track joins the stretch before it when it starts before that stretch's last sighting
    (the same sampled frame counts). People are tied by a stretch, so two people seen in one
    shot but one after the other are not."""
    found: list[list[Track]] = []
    for track in sorted(tracks, key=lambda t: (t.shot, t.start, t.end)):
        last = found[-1] if found else None
        if last and last[0].shot == track.shot and track.start <= max(t.end for t in last):
            last.append(track)
        else:
            found.append([track])
    return found


def picture_second(stretch: list[Track]) -> float:
    """The second of the sampled frame that best shows a stretch: the one in which most of its
    people are seen (the first such)."""
    seen: dict[float, int] = {}
    for track in stretch:
        for sighting in track.sightings:
            seen[sighting.seconds] = seen.get(sighting.seconds, 0) + 1
    return min(seen, key=lambda seconds: (-seen[seconds], seconds))


def item_name(path: str) -> str:
    """How people read an item's name: ``photo.jpg``, or for a shot ``clip.mp4 at 02:13-02:20``."""
    video, start, end = parse_part(path)
    name = os.path.basename(video)
    if video == path or not is_video_path(video):
        return os.path.basename(path)
    return f"{name} at {_clock(start)}" + (f"-{_clock(end)}" if end is not None else "")


def _clock(seconds: float) -> str:
    minutes, second = divmod(round(seconds), 60)
    hours, minute = divmod(minutes, 60)
    return f"{hours}:{minute:02d}:{second:02d}" if hours else f"{minute:02d}:{second:02d}"


def frame_at(path: str, seconds: float, max_side: int) -> np.ndarray:
    """The video's frame at `seconds` (the first from there), upright, its long side at most
    `max_side`. Raises `PhotoError` with a one-line reason."""
    _, frames = open_video(path, 3600.0, max_side, start=seconds)
    try:
        for frame in frames:
            return frame.pixels
    finally:
        frames.close()
    raise PhotoError(f"the video has no frame at {seconds:.0f} s")


def shot_time(taken_at: datetime | None, seconds: float) -> datetime | None:
    return taken_at + timedelta(seconds=seconds) if taken_at is not None else None


def _reason(exc: BaseException) -> str:
    """FFmpeg's words for what went wrong, without its error number and the path."""
    text = getattr(exc, "strerror", None) or str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:1].lower() + text.splitlines()[0][1:]
