"""What ingest produces and stores, as plain records: a photo's result and its faces, and what
the library already knows of a file."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from ..faces.attributes import FaceAttributes
from ..xmp.regions import Region


@dataclass
class FaceRecord:
    """A face in the coordinates of the upright original photo."""

    box: tuple[int, int, int, int]  # left, top, right, bottom
    score: float | None
    landmarks: np.ndarray  # (5, 2) float32, x/y: dlib's 5 points (what the encoding used)
    encoding: np.ndarray  # (128,) float32
    crop_jpeg: bytes
    sharpness: float | None = None  # see facegraph.faces.quality
    quality: str | None = None  # why it cannot start a person ("small", ...), or None
    #: age and gender (only with ``DetectionSettings.attributes``): an estimate, or why none
    attributes: FaceAttributes | None = None
    attributes_skipped: str | None = None
    #: the detector's own five points where it has them (RetinaFace), (5, 2) float32
    detector_landmarks: np.ndarray | None = None
    #: a video's face (a track): the seconds of its first, last and best sampled frame
    start_s: float | None = None
    end_s: float | None = None
    best_s: float | None = None


@dataclass
class RegionRecord:
    """A region of a photo's metadata, and the face it marks (an index into its faces)."""

    region: Region
    face: int | None = None
    #: the face was computed from the region (no detected face matched it)
    made_face: bool = False


@dataclass
class PhotoResult:
    path: str
    size_bytes: int
    mtime_ns: int
    status: str  # "ok", "no_faces" or "error"
    error: str | None = None
    content_hash: str | None = None
    width: int | None = None
    height: int | None = None
    orientation: int | None = None
    taken_at: datetime | None = None
    camera_make: str | None = None
    camera_model: str | None = None
    faces: list[FaceRecord] = field(default_factory=list)
    #: the photo's difference hash, for near-duplicates (`moments.photo_hash`)
    photo_hash: bytes | None = None
    #: "photo", "video" (its faces are in its shots) or "shot" (`video`)
    kind: str = "photo"
    duration_s: float | None = None
    #: a shot: the second of the frame that shows it (`video.picture_second`)
    frame_s: float | None = None
    #: a shot: the second its shot starts (the stretches of one shot share it)
    shot_s: float | None = None
    #: a part of a video: the addresses of its shots as analysed now (older ones go)
    shots: list[str] = field(default_factory=list)
    #: what reading the photo warned of (damaged EXIF...), one line each
    notes: list[str] = field(default_factory=list)
    #: the regions of its XMP (`facegraph.xmp`), each with the face it marks
    regions: list[RegionRecord] = field(default_factory=list)
    #: where they were read: "embedded", a sidecar's name, or None
    region_source: str | None = None
    #: its sidecars' names, sizes and times (`xmp.files.sidecar_stamp`)
    sidecars: str | None = None


def stored_path(path: str) -> tuple[str, bytes | None]:
    """A path as the library stores it: ``(text, None)`` for UTF-8 names; for others a readable
    text with the undecodable bytes as ``\\xNN`` and the name's exact bytes."""
    raw = os.fsencode(path)
    try:
        return raw.decode("utf-8"), None
    except UnicodeDecodeError:
        return raw.decode("utf-8", "backslashreplace"), raw


def os_path(text: str, raw: bytes | None) -> str:
    """The path to open, from what `stored_path` stored."""
    return os.fsdecode(bytes(raw)) if raw is not None else text


@dataclass(frozen=True)
class KnownImage:
    """A photo the library already holds, as the scan compares it with the disk."""

    image_id: int
    path: str
    size_bytes: int
    mtime_ns: int
    status: str
    content_hash: str | None
    missing: bool
    #: the detection settings it was analysed with (`DetectionSettings.describe`)
    detection: str | None = None
    #: its XMP sidecars when it was analysed (`xmp.files.sidecar_stamp`)
    sidecars: str | None = None


@dataclass(frozen=True)
class PhotoFaces:
    """A stored photo and the faces of it still to estimate (`facegraph attributes`)."""

    image_id: int
    path: str
    detection: str | None
    face_ids: list[int]
    boxes: list[tuple[int, int, int, int]]
    landmarks: list[np.ndarray]  # (5, 2) in the original photo's pixels
    sharpness: list[float | None]


@dataclass(frozen=True)
class Estimated:
    """What the models said about the faces of one photo."""

    image_id: int
    path: str
    #: ``(face_id, estimate or None, why none)``
    faces: list[tuple[int, FaceAttributes | None, str | None]]
    error: str | None = None
