"""Where a photo's XMP is, and reading it safely: embedded in the file, or in a sidecar.

Sidecars are looked for beside the photo as ``photo.jpg.xmp`` (digiKam, darktable and
facegraph's own exports) and ``photo.xmp`` (Lightroom, Capture One). When both exist,
``photo.jpg.xmp`` wins: it names this one file, while ``photo.xmp`` is shared by every file of
that stem (``photo.raw`` and ``photo.jpg``). A sidecar wins over the XMP embedded in the photo:
the tools that keep both write their newest edits to the sidecar, and so does
``facegraph export regions``. The two are not merged: one source gives a photo's regions.
"""

from __future__ import annotations

import contextlib
import os
import xml.parsers.expat
from dataclasses import dataclass, field

from .regions import Region, regions_from_xmp

#: a sidecar larger than this is not read (a real one is a few kilobytes)
MAX_SIDECAR_BYTES = 16 << 20
#: bytes that show a packet may hold regions; photos without them are not parsed at all
_MARKERS = (
    b"metadataworkinggroup.com/schemas/regions",
    b"microsoft.com/photo/1.2",
    b"PersonInImage",
)


@dataclass
class PhotoRegions:
    """A photo's regions and where they came from."""

    regions: list[Region] = field(default_factory=list)
    #: "embedded", or the sidecar's file name
    source: str | None = None
    notes: list[str] = field(default_factory=list)


def sidecar_candidates(photo_path: str) -> list[str]:
    """The sidecar names a photo may have, the one that wins first."""
    stem = os.path.splitext(photo_path)[0]
    return [photo_path + ".xmp", photo_path + ".XMP", stem + ".xmp", stem + ".XMP"]


def sidecars_of(photo_path: str, folder_names: set[str] | None = None) -> list[str]:
    """The sidecars that exist, the winner first (`folder_names`: the folder's file names,
    when known, to save a look at the disk)."""
    found = []
    for candidate in dict.fromkeys(sidecar_candidates(photo_path)):
        if folder_names is not None:
            exists = os.path.basename(candidate) in folder_names
        else:
            exists = os.path.isfile(candidate)
        if exists and all(not os.path.samefile(candidate, f) for f in found):
            found.append(candidate)
    return found


def sidecar_stamp(photo_path: str, folder_names: set[str] | None = None) -> str | None:
    """What changes when a sidecar is added, edited or removed: names, sizes, times."""
    parts = []
    for path in sidecars_of(photo_path, folder_names):
        with contextlib.suppress(OSError):
            stat = os.stat(path)
            parts.append(f"{os.path.basename(path)}:{stat.st_size}:{stat.st_mtime_ns}")
    return "|".join(parts) or None


def check_packet(text: bytes | str) -> str | None:
    """Why an XMP packet cannot be read (not XML, a DTD, which XMP forbids and which could
    expand without end), or None."""
    parser = xml.parsers.expat.ParserCreate()

    def refuse(*_args) -> None:
        raise ValueError("it declares a DTD, which XMP does not allow")

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    try:
        parser.Parse(text, True)
    except ValueError as exc:
        return str(exc)
    except xml.parsers.expat.ExpatError as exc:
        return f"it is not well-formed XML ({xml.parsers.expat.errors.messages.get(exc.code, exc)})"
    return None


def _parse(data: bytes) -> dict:
    import pyexiv2

    pyexiv2.set_log_level(4)  # errors come back as exceptions, not lines on stderr
    with pyexiv2.ImageData(data) as image:
        return image.read_xmp()


def _metadata_part(data: bytes) -> bytes:
    """The part of a photo's bytes its XMP can be in: a JPEG's segments before the image data
    (reading the whole file for markers costs as much as decoding a small photo); all of
    other files."""
    if not data.startswith(b"\xff\xd8"):
        return data
    position = 2
    while position + 4 <= len(data) and data[position] == 0xFF:
        marker = data[position + 1]
        if marker == 0xDA:  # start of scan: the image data follows
            return data[:position]
        if marker == 0xFF:  # fill byte
            position += 1
            continue
        position += 2 + int.from_bytes(data[position + 2 : position + 4], "big")
    return data[:position] if position + 4 <= len(data) else data


def _embedded_packet(data: bytes) -> bytes | None:
    """The XMP packet inside the photo's bytes, found by its wrapper."""
    start = data.find(b"<x:xmpmeta")
    if start < 0:
        start = data.find(b"<rdf:RDF")
    if start < 0:
        return None
    for closing in (b"</x:xmpmeta>", b"</rdf:RDF>"):
        end = data.find(closing, start)
        if end >= 0:
            return data[start : end + len(closing)]
    return data[start : start + MAX_SIDECAR_BYTES]


def read_photo_regions(
    path: str, data: bytes, orientation: int | None, shown_size: tuple[int, int] | None
) -> PhotoRegions:
    """The regions of the photo at `path` (its bytes `data`): from its sidecar if it has one,
    else from the XMP embedded in it. Never raises: what cannot be read is a note."""
    found = PhotoRegions()
    for sidecar in sidecars_of(path):
        name = os.path.basename(sidecar)
        try:
            if os.path.getsize(sidecar) > MAX_SIDECAR_BYTES:
                found.notes.append(f"sidecar {name} is larger than 16 MB; not read")
                continue
            with open(sidecar, "rb") as handle:
                packet = handle.read()
        except OSError as exc:
            found.notes.append(f"sidecar {name} cannot be read ({exc.strerror or exc})")
            continue
        found.source = name  # the sidecar wins, even one without regions
        if any(marker in packet for marker in _MARKERS):
            _read_packet(packet, packet, f"sidecar {name}", orientation, shown_size, found)
        elif (why := check_packet(packet)) is not None:
            found.notes.append(f"sidecar {name} cannot be read: {why}")
        return found
    return embedded_regions(data, orientation, shown_size, found)


def embedded_regions(
    data: bytes,
    orientation: int | None = None,
    shown_size: tuple[int, int] | None = None,
    found: PhotoRegions | None = None,
) -> PhotoRegions:
    """The regions of the XMP embedded in a photo's bytes (sidecars not looked at)."""
    found = found if found is not None else PhotoRegions()
    header = _metadata_part(data)
    if any(marker in header for marker in _MARKERS):
        packet = _embedded_packet(header)
        if packet is not None:
            _read_packet(data, packet, "embedded XMP", orientation, shown_size, found)
            found.source = "embedded"
    return found


def _read_packet(data, packet, what, orientation, shown_size, found: PhotoRegions) -> None:
    why = check_packet(packet)
    if why is not None:
        found.notes.append(f"{what} cannot be read: {why}; its regions are not used")
        return
    try:
        xmp = _parse(data)
    except Exception as exc:  # exiv2 refuses the bytes: one line, the photo goes on
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        found.notes.append(f"{what} cannot be read ({first}); its regions are not used")
        return
    found.regions = regions_from_xmp(xmp, orientation, shown_size, found.notes)
