"""Walking photo folders, fingerprinting files, and sorting what is found into new, changed,
moved and vanished."""

from __future__ import annotations

import hashlib
import os
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from ..xmp.files import sidecar_stamp
from .decode import is_photo_path
from .records import KnownImage
from .video import is_video_path


def content_hash(data: bytes) -> str:
    """Fingerprint of a file's bytes, used to recognise moved and renamed photos."""
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def hash_file(path: str) -> str:
    digest = hashlib.blake2b(digest_size=16)
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def file_stamp(path: str) -> tuple[int, int] | None:
    """``(size, mtime_ns)`` of the file, or of the link itself when it is broken."""
    for stat_function in (os.stat, os.lstat):
        try:
            stat = stat_function(path)
            return stat.st_size, stat.st_mtime_ns
        except OSError:
            continue
    return None


@dataclass(frozen=True)
class ScannedFile:
    path: str
    size_bytes: int
    mtime_ns: int
    #: its XMP sidecars' names, sizes and times (`xmp.files.sidecar_stamp`)
    sidecars: str | None = None


@dataclass
class ScanPlan:
    """What an ingest run has to do."""

    to_process: list[ScannedFile] = field(default_factory=list)
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    #: ``(image_id, new_path, size_bytes, mtime_ns)`` of photos that moved or were renamed
    moves: list[tuple[int, str, int, int]] = field(default_factory=list)
    #: ``(image_id, size_bytes, mtime_ns)`` of photos touched but not changed
    touched: list[tuple[int, int, int]] = field(default_factory=list)
    reappeared: list[int] = field(default_factory=list)
    vanished: list[int] = field(default_factory=list)


def _under(path: str, roots: Iterable[str]) -> bool:
    return any(path == root or path.startswith(root.rstrip(os.sep) + os.sep) for root in roots)


def walk_photos(
    roots: Iterable[str], skip: Iterable[str] = (), warnings: list[str] | None = None
) -> list[ScannedFile]:
    """Photo files below `roots`, sorted by path.

    Hidden files and folders, folders in `skip` (the library itself) and symlinked folders are
    left out; a broken symlink with a photo's name is kept so that it is reported.
    """
    skip_real = {os.path.realpath(p) for p in skip}
    found: dict[str, ScannedFile] = {}

    def note(error: OSError) -> None:
        if warnings is not None:
            warnings.append(f"{error.filename}: cannot read folder ({error.strerror})")

    def add(path: str, names: set[str] | None = None) -> None:
        stamp = file_stamp(path)
        if stamp is not None:
            found[path] = ScannedFile(path, *stamp, sidecar_stamp(path, names))

    for root in roots:
        root = os.path.abspath(root)
        if os.path.isfile(root):
            add(root)
            continue
        for folder, dirs, files in os.walk(root, onerror=note):
            dirs[:] = [
                d
                for d in dirs
                if not d.startswith(".")
                and os.path.realpath(os.path.join(folder, d)) not in skip_real
            ]
            names = set(files)
            for name in files:
                if is_photo_path(name) or is_video_path(name):
                    add(os.path.join(folder, name), names)
    return [found[path] for path in sorted(found)]


def plan_ingest(
    scanned: list[ScannedFile],
    known: Mapping[str, KnownImage],
    roots: Iterable[str],
    hash_file: Callable[[str], str],
    retry_errors: bool = False,
    verify: bool = False,
    force: bool = False,
    redetect: str | None = None,
    sidecars: bool = True,
) -> ScanPlan:
    """Compare a scan with the library: skip unchanged files, spot moves by content hash.

    `verify` hashes the files whose size and time did not change too, so a photo replaced by
    another with the same size and time is found; `force` analyses every known file again;
    `redetect` (the current `DetectionSettings.describe`) analyses again the known files that
    were analysed with other settings (another detector or model version). With `sidecars`, a
    photo whose XMP sidecars were added, edited or removed is analysed again."""
    roots = [os.path.abspath(r) for r in roots]
    plan = ScanPlan()
    seen = {f.path for f in scanned}
    new_files: list[ScannedFile] = []
    for file in scanned:
        row = known.get(file.path)
        if row is None:
            new_files.append(file)
            continue
        same_stamp = row.size_bytes == file.size_bytes and row.mtime_ns == file.mtime_ns
        if same_stamp and verify and not force and row.content_hash:
            same_stamp = _safe_hash(hash_file, file.path) == row.content_hash
        stale = redetect is not None and row.status != "error" and row.detection != redetect
        if sidecars and row.status != "error" and row.sidecars != file.sidecars:
            stale = True  # names or regions edited in another tool
        if same_stamp and not force and not stale and not (retry_errors and row.status == "error"):
            plan.unchanged += 1
            if row.missing:
                plan.reappeared.append(row.image_id)
            continue
        if (
            not same_stamp
            and not stale
            and row.content_hash
            and row.size_bytes == file.size_bytes
            and _safe_hash(hash_file, file.path) == row.content_hash
        ):
            plan.touched.append((row.image_id, file.size_bytes, file.mtime_ns))
            plan.unchanged += 1
            continue
        plan.changed += 1
        plan.to_process.append(file)

    # A new path whose bytes equal a photo that is gone from its old path is a move.
    new_sizes = {f.size_bytes for f in new_files}
    gone_by_size: dict[int, list[KnownImage]] = defaultdict(list)
    for row in known.values():
        if row.path in seen or row.size_bytes not in new_sizes or not row.content_hash:
            continue
        if _under(row.path, roots) or not os.path.lexists(row.path):
            gone_by_size[row.size_bytes].append(row)
    moved_ids: set[int] = set()
    for file in new_files:
        candidates = [
            r for r in gone_by_size.get(file.size_bytes, []) if r.image_id not in moved_ids
        ]
        digest = _safe_hash(hash_file, file.path) if candidates else None
        match = next((r for r in candidates if r.content_hash == digest), None)
        if match is not None:
            moved_ids.add(match.image_id)
            plan.moves.append((match.image_id, file.path, file.size_bytes, file.mtime_ns))
        else:
            plan.new += 1
            plan.to_process.append(file)

    plan.vanished = [
        row.image_id
        for row in known.values()
        if not row.missing
        and row.path not in seen
        and row.image_id not in moved_ids
        and _under(row.path, roots)
    ]
    plan.to_process.sort(key=lambda f: f.path)
    return plan


def _safe_hash(hash_file: Callable[[str], str], path: str) -> str | None:
    try:
        return hash_file(path)
    except OSError:
        return None
