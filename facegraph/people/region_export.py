"""`facegraph export regions`: the people's faces written into the photos' XMP, so digiKam,
Lightroom, darktable, Immich and PhotoPrism see the names given in facegraph.

Sidecars by default (``photo.jpg.xmp``: the name digiKam and darktable read and write), the
photo itself with ``embed=True``; `facegraph.xmp.write` keeps every other tag and region, and
writes atomically. Every file written is remembered (``artefacts.jsonl``), so forgetting a
person takes their name out of those files again.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from itertools import groupby

from ..artefacts import REGION_FILES, record_written, written
from ..errors import RegionWriteError
from ..ingestion.records import os_path
from ..library import Library, transaction
from ..safe_text import printable
from ..xmp import write as xmp_write
from ..xmp.files import sidecar_stamp
from . import region_store


@dataclass
class RegionExport:
    """What an export of regions did (or, with ``dry_run``, would do)."""

    photos: int = 0
    faces: int = 0
    #: the files written (or to write), one per photo
    files: list[str] = field(default_factory=list)
    #: one line per photo that could not be written, with why
    failed: list[str] = field(default_factory=list)
    dry_run: bool = False

    def summary(self) -> str:
        verb = "would write" if self.dry_run else "wrote"
        where = "files" if self.files and not self.files[0].endswith(".xmp") else "sidecars"
        return (
            f"{verb} {self.faces} faces into {len(self.files)} {where} of {self.photos} photos;"
            f" {len(self.failed)} failed"
        )

    def as_dict(self) -> dict:
        return {**asdict(self), "summary": self.summary()}


def export_regions(
    library: str | os.PathLike[str] | None = None,
    *,
    people: list[int] | None = None,
    named_only: bool = False,
    embed: bool = False,
    dry_run: bool = False,
) -> RegionExport:
    """Write the faces of `people` (every person not hidden, by default; ``named_only``: only
    people with a name) into their photos' XMP as MWG and Microsoft face regions."""
    report = RegionExport(dry_run=dry_run)
    with Library.open(library) as lib:
        rows = region_store.faces_to_export(lib.connection, people, named_only)
        root = lib.path
    stamps = []
    for _, group in groupby(rows, key=lambda row: row["image_id"]):
        faces = list(group)
        first = faces[0]
        photo = os_path(first["path"], first["path_bytes"])
        width, height, orientation = first["width"], first["height"], first["orientation"]
        named = [
            xmp_write.NamedFace(
                (face["name"] or "").strip() or None,
                (
                    face["box_left"] / width,
                    face["box_top"] / height,
                    face["box_right"] / width,
                    face["box_bottom"] / height,
                ),
            )  # fmt: skip
            for face in faces
        ]
        size = xmp_write.stored_size(width, height, orientation)
        target = photo if embed else photo + ".xmp"
        report.photos += 1
        if not dry_run:
            try:
                edit = _writer(named, orientation, size)
                if embed:
                    xmp_write.edit_embedded(photo, edit)
                else:
                    xmp_write.edit_sidecar(target, edit)
            except RegionWriteError as exc:
                report.failed.append(printable(str(exc)))
                continue
            record_written(root, [target], kind=REGION_FILES)
            if not embed:
                stamps.append((sidecar_stamp(photo), first["image_id"]))
        report.files.append(target)
        report.faces += len(named)
    if stamps:  # what facegraph wrote itself need not be read again
        with Library.open(library, write=True) as lib, transaction(lib.connection):
            region_store.set_sidecar_stamps(lib.connection, stamps)
    return report


def _writer(faces, orientation, size):
    return lambda xmp: xmp_write.region_changes(xmp, faces, orientation, size)


def remove_name_from_files(library_root, name: str) -> tuple[list[str], list[str]]:
    """Take the regions named `name` out of every file `export_regions` wrote:
    ``(files changed, "file: why" for those that could not be)``."""
    changed, failed = [], []
    for path in written(library_root, kind=REGION_FILES):
        text = str(path)
        drop = _NameDropper(name)
        try:
            if text.endswith((".xmp", ".XMP")):
                xmp_write.edit_sidecar(text, drop)
            else:
                xmp_write.edit_embedded(text, drop)
        except RegionWriteError as exc:
            failed.append(printable(str(exc)))
            continue
        if drop.changed:
            changed.append(text)
    return changed, failed


class _NameDropper:
    """An edit for `xmp.write`: the regions of one name out, the rest kept."""

    def __init__(self, name: str) -> None:
        self.name, self.changed = name.strip(), False

    def __call__(self, xmp) -> dict:
        if self.name.casefold() not in xmp_write.names_in(xmp):
            return {}
        self.changed = True
        return xmp_write.region_changes(xmp, [], None, None, drop_names=[self.name])
