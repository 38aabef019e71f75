"""Photos safe to publish: copies in which every face is hidden except those of the people who
consented, with the metadata that names people or places left out.

Which faces are hidden, in each photo:
- every face the library holds for that photo (matched by the file's contents, wherever it
  lies now), whoever it is, faces marked "not a face" included;
- every face the detector finds in it now (so a photo that was never ingested, or was
  ingested with another detector, is covered too);
- every face region a person drew in the photo's XMP (digiKam, Lightroom), embedded or in a
  sidecar;

less the faces of the people kept: a stored face of a kept person, and any found face or region
that is that same face (overlapping it), or a region that carries a kept person's name.

What it cannot promise: a face that no detector found and nobody marked (very small, turned
away, half hidden) stays as it was. Look at every copy before it is published.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from PIL import Image, ImageOps

from ..artefacts import record_written
from ..errors import LibraryNotFoundError, OutputError, PhotoError
from ..ingestion.analyse import locate_faces
from ..ingestion.decode import decode_photo, read_bytes
from ..ingestion.scan import content_hash
from ..ingestion.settings import DetectionSettings
from ..library import Library, resolve_library_path
from ..people.read import resolve_people
from ..xmp.files import read_photo_regions
from ..xmp.regions import overlap
from . import store
from .hide import Box, hide_faces
from .metadata import dropped_metadata, kept_exif

#: one line per copy written: what it came from, what it is, what was hidden and removed
LOG_FILE = "redaction-log.jsonl"
#: a found face or a drawn region is the same face as a stored one from this overlap on
SAME_FACE_IOU = 0.3
#: the long side, in pixels, at which photos are searched for faces to hide: twice ingest's, as
#: a face missed here is published (the shared crowd photo: 170 faces found against 31 at
#: ingest's 1080 px, 0.7 s against 0.2 s)
SEARCH_SIDE = 2160
#: the EXIF tag of the orientation a photo is stored in
ORIENTATION = 0x0112
#: formats written as they came; anything else (HEIC, TIFF, BMP...) is written as PNG
_WRITTEN_AS = {"JPEG": ".jpg", "PNG": ".png", "WEBP": ".webp"}


@dataclass
class RedactedPhoto:
    source: str
    output: str
    source_sha256: str
    output_sha256: str
    faces_hidden: int
    faces_kept: int
    #: how many of the hidden faces came from the library, the detector now, the photo's XMP
    hidden_from: dict[str, int]
    removed: list[str]


@dataclass
class RedactReport:
    photos: list[RedactedPhoto] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    log: str | None = None

    def as_dict(self) -> dict:
        return asdict(self)


def redact_photos(
    photos: Sequence[str | os.PathLike[str]],
    out_dir: str | os.PathLike[str],
    *,
    keep: Sequence[int | str] = (),
    library: str | os.PathLike[str] | None = None,
    fill: bool = False,
    detect: bool = True,
) -> RedactReport:
    """Write a copy of each photo into `out_dir` with every face hidden (a coarse mosaic, or
    black with ``fill=True``) except those of the people in `keep` (IDs or names in
    `library`), and without the metadata that identifies people or places (`metadata`).

    The copy is upright (EXIF orientation applied) and keeps its format (JPEG, PNG, WebP;
    others become PNG). A photo that cannot be read is one line in ``errors`` and the rest go
    on; an original is never written over. Each copy gets one line in
    ``OUT/redaction-log.jsonl`` with both files' SHA-256 and what was hidden and removed.
    `detect=False` hides only the faces the library and the photo's XMP know of.
    """
    out = Path(out_dir).expanduser().absolute()
    root = resolve_library_path(library)
    kept_ids = resolve_people(library, keep) if keep else []
    kept_names = _names(library, kept_ids)
    has_library = _library_exists(library)
    settings = DetectionSettings(max_side=SEARCH_SIDE).resolved() if detect else None
    out.mkdir(parents=True, exist_ok=True)
    report = RedactReport(log=str(out / LOG_FILE))
    job = _Job(out, kept_ids, kept_names, library if has_library else None, settings, fill)
    for photo in photos:
        path = os.path.abspath(os.path.expanduser(os.fspath(photo)))
        try:
            done = _redact_one(path, job)
        except (PhotoError, OutputError) as exc:
            report.errors.append(f"{path}: {exc}")
            continue
        report.photos.append(done)
        with open(out / LOG_FILE, "a", encoding="utf-8") as log:
            log.write(json.dumps({**asdict(done), "at": _now()}, ensure_ascii=False) + "\n")
    if has_library:
        record_written(root, [p.output for p in report.photos])
    return report


@dataclass
class _Job:
    out: Path
    kept_ids: list[int]
    kept_names: set[str]  # casefolded: a drawn region with one of these names is kept
    library: str | os.PathLike[str] | None  # None: no library to ask
    settings: DetectionSettings | None  # None: no detection now
    fill: bool
    taken: set[str] = field(default_factory=set)  # output paths already used


def _redact_one(path: str, job: _Job) -> RedactedPhoto:
    data = read_bytes(path)
    original, upright, suffix = _open_upright(data)
    target = _output_path(job.out, path, suffix, job.taken)
    orientation = original.getexif().get(ORIENTATION, 1)
    hidden, kept, hidden_from = _faces_to_hide(path, data, orientation, upright.size, job)
    removed = dropped_metadata(path, data, original)
    covered = hide_faces(upright, hidden, kept, fill=job.fill)
    encoded = _encode(covered, original, suffix)
    temporary = target.with_name(f".{target.name}.part")
    try:
        temporary.write_bytes(encoded)
        os.replace(temporary, target)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise OutputError(f"cannot write {target} ({exc.strerror or exc})") from None
    return RedactedPhoto(
        source=path,
        output=str(target),
        source_sha256=hashlib.sha256(data).hexdigest(),
        output_sha256=hashlib.sha256(encoded).hexdigest(),
        faces_hidden=len(hidden),
        faces_kept=len(kept),
        hidden_from=hidden_from,
        removed=removed,
    )


def _open_upright(data: bytes) -> tuple[Image.Image, Image.Image, str]:
    """The photo as stored (for its metadata), its pixels upright, and the suffix its copy
    is written with."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            image = Image.open(io.BytesIO(data))
            image.load()
            upright = ImageOps.exif_transpose(image)
    except Exception:  # noqa: BLE001 - any decoder failure: say it in ingest's words
        decode_photo(data, max_side=64)  # raises the one-line PhotoError ingest would
        raise PhotoError("corrupt image (cannot be decoded in full)") from None
    return image, upright, _WRITTEN_AS.get(image.format or "", ".png")


def _faces_to_hide(path: str, data: bytes, orientation: int, size: tuple[int, int], job: _Job):
    """``(hidden boxes, kept boxes, where the hidden ones came from)`` in the upright photo's
    pixels (`size`: its width and height; `orientation`: the EXIF orientation it was stored
    with, which the regions' boxes are in)."""
    stored = _stored_faces(job.library, content_hash(data))
    kept = [f["box"] for f in stored if f["person_id"] in job.kept_ids]
    hidden = [f["box"] for f in stored if f["person_id"] not in job.kept_ids]
    hidden_from = {"library": len(hidden), "detector": 0, "xmp": 0}
    known = [f["box"] for f in stored]
    if job.settings is not None:
        for box in _detected(data, job.settings):
            if not _matches(box, known):
                hidden.append(box)
                known.append(box)
                hidden_from["detector"] += 1
    width, height = size
    regions = read_photo_regions(path, data, orientation, (width, height)).regions
    for region in regions:
        if region.box is None or region.kind not in (None, "Face"):
            continue
        left, top, right, bottom = region.box
        box = (left * width, top * height, right * width, bottom * height)
        if region.name and region.name.casefold() in job.kept_names:
            kept.append(box)
        elif not _matches(box, known):
            hidden.append(box)
            known.append(box)
            hidden_from["xmp"] += 1
    return hidden, kept, hidden_from


def _stored_faces(library, digest: str) -> list[dict]:
    if library is None:
        return []
    with Library.open(library) as lib:
        return store.faces_of_photo(lib.connection, digest)


def _detected(data: bytes, settings: DetectionSettings) -> list[Box]:
    decoded = decode_photo(data, max_side=settings.max_side, max_pixels=settings.max_pixels)
    boxes, _ = locate_faces(decoded.pixels, settings, decoded.info.width)
    scale = 1 / decoded.scale
    return [(b.left * scale, b.top * scale, b.right * scale, b.bottom * scale) for b in boxes]


def _matches(box: Box, others: list[Box]) -> bool:
    """Whether `box` is one of `others`' faces: they overlap, or each holds the other's
    centre (a loose drawn region around a tight detector box)."""
    return any(overlap(box, o) >= SAME_FACE_IOU or _holds_centres(box, o) for o in others)


def _holds_centres(a: Box, b: Box) -> bool:
    def holds(outer: Box, inner: Box) -> bool:
        x, y = (inner[0] + inner[2]) / 2, (inner[1] + inner[3]) / 2
        return outer[0] <= x <= outer[2] and outer[1] <= y <= outer[3]

    return holds(a, b) and holds(b, a)


def _output_path(out: Path, source: str, suffix: str, taken: set[str]) -> Path:
    """``OUT/<name><suffix>``, numbered when two photos share a name; never the source."""
    stem = Path(source).stem
    candidate, number = out / f"{stem}{suffix}", 1
    while str(candidate) in taken:
        number += 1
        candidate = out / f"{stem}-{number}{suffix}"
    if candidate.exists() and candidate.samefile(source):
        raise OutputError("its copy would replace it; choose another output folder")
    taken.add(str(candidate))
    return candidate


def _encode(covered: Image.Image, original: Image.Image, suffix: str) -> bytes:
    """The copy's bytes: pixels, colour profile, and only the dates and camera of the EXIF."""
    buffer = io.BytesIO()
    options: dict = {"exif": kept_exif(original).tobytes()}
    if icc := original.info.get("icc_profile"):
        options["icc_profile"] = icc
    if suffix == ".jpg":
        image = covered if covered.mode in ("RGB", "L") else covered.convert("RGB")
        image.save(buffer, "JPEG", quality=95, subsampling=0, **options)
    elif suffix == ".webp":
        covered.save(buffer, "WEBP", quality=95, **options)
    else:
        covered.save(buffer, "PNG", **options)
    return buffer.getvalue()


def _names(library, person_ids: list[int]) -> set[str]:
    if not person_ids:
        return set()
    with Library.open(library) as lib:
        names = store.people_names(lib.connection, person_ids)
    return {n.casefold() for n in names.values() if n}


def _library_exists(library) -> bool:
    try:
        with Library.open(library):
            return True
    except LibraryNotFoundError:
        return False


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
