"""Writing face regions into XMP: a sidecar (``photo.jpg.xmp``) or the photo itself.

What is written is one list of named faces per photo, in both the MWG form (``mwg-rs:Regions``
with ``AppliedToDimensions``) and Microsoft's (``MP:RegionInfo``), boxes in the **stored**
image's coordinates, as the MWG guidelines ask. Everything else in the file stays: other tags,
and the regions already there that are not faces (pets, focus) or are faces that none of the
written ones overlaps. Each write goes to a temporary file beside the target and is renamed
over it, so a crash leaves the old file or the new one, never half of one; a photo written into
is checked to decode to the same pixels before it replaces the original.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from ..errors import RegionWriteError
from .files import check_packet
from .orientation import Box, stored_box, turns_sideways
from .regions import MP, MWG, indexed_fields, number, overlap

#: an existing face region overlapping a written one this much is replaced by it
REPLACE_IOU = 0.3

EMPTY_PACKET = (
    '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
    '<x:xmpmeta xmlns:x="adobe:ns:meta/">\n'
    ' <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n'
    '  <rdf:Description rdf:about=""/>\n'
    " </rdf:RDF>\n"
    "</x:xmpmeta>\n"
    '<?xpacket end="w"?>\n'
)


@dataclass(frozen=True)
class NamedFace:
    """A face to write: its name (None for a face no one has named) and its normalised box in
    the photo as shown."""

    name: str | None
    box: Box


def _open(path: str):
    import pyexiv2

    pyexiv2.set_log_level(4)
    try:
        return pyexiv2.Image(path)
    except Exception as exc:
        raise RegionWriteError(f"{path}: {_first_line(exc)}") from None


def _first_line(exc: Exception) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def _region_keys(xmp: Mapping[str, object]) -> list[str]:
    return [k for k in xmp if k.startswith(("Xmp.mwg-rs.Regions", "Xmp.MP.RegionInfo"))]


def _mwg_box(fields: Mapping[str, object]) -> Box | None:
    try:
        x, y, w, h = (number(fields[f"mwg-rs:Area/stArea:{k}"]) for k in "xywh")
    except (KeyError, ValueError, TypeError, ZeroDivisionError):
        return None
    return (x - w / 2, y - h / 2, x + w / 2, y + h / 2)


def _mp_box(fields: Mapping[str, object]) -> Box | None:
    try:
        left, top, w, h = (number(v) for v in str(fields["MPReg:Rectangle"]).split(","))
    except (KeyError, ValueError):
        return None
    return (left, top, left + w, top + h)


def _kept(entries: dict[int, dict], box_of, kind_of, ours: list[Box]) -> list[dict]:
    """The existing entries that stay: not faces, or faces none of `ours` overlaps."""
    kept = []
    for fields in entries.values():
        box = box_of(fields)
        is_face = kind_of(fields) == "Face"
        if is_face and box is not None and any(overlap(box, b) >= REPLACE_IOU for b in ours):
            continue
        kept.append(fields)
    return kept


def _entry(prefix: str, position: int, fields: Mapping[str, object]) -> dict[str, object]:
    """An array item's keys, its structure markers included."""
    base = f"{prefix}[{position}]"
    keys: dict[str, object] = {base: 'type="Struct"'}
    for field, value in fields.items():
        parts = field.split("/")
        for depth in range(1, len(parts)):
            keys.setdefault(base + "/" + "/".join(parts[:depth]), 'type="Struct"')
        keys[base + "/" + field] = value
    return keys


def region_changes(
    xmp: Mapping[str, object],
    faces: Iterable[NamedFace],
    orientation: int | None,
    stored_size: tuple[int, int] | None,
    drop_names: Iterable[str] = (),
) -> dict[str, object | None]:
    """The XMP keys to set (None: to delete) so that the packet `xmp` holds `faces` and keeps
    its other regions, less any named in `drop_names`. `stored_size` is the stored image's
    size in pixels (None: keep the one the packet gives)."""
    faces = list(faces)
    dropped = {n.casefold() for n in drop_names}
    ours = [stored_box(face.box, orientation) for face in faces]
    mwg = _kept(indexed_fields(xmp, MWG + "RegionList"), _mwg_box,
                lambda f: str(f.get("mwg-rs:Type") or "Face"), ours)  # fmt: skip
    mp = _kept(indexed_fields(xmp, MP), _mp_box, lambda f: "Face", ours)
    mwg = [f for f in mwg if str(f.get("mwg-rs:Name", "")).casefold() not in dropped]
    mp = [f for f in mp if str(f.get("MPReg:PersonDisplayName", "")).casefold() not in dropped]
    for face, (left, top, right, bottom) in zip(faces, ours, strict=True):
        area = {
            "mwg-rs:Area/stArea:x": f"{(left + right) / 2:.6f}",
            "mwg-rs:Area/stArea:y": f"{(top + bottom) / 2:.6f}",
            "mwg-rs:Area/stArea:w": f"{right - left:.6f}",
            "mwg-rs:Area/stArea:h": f"{bottom - top:.6f}",
            "mwg-rs:Area/stArea:unit": "normalized",
        }
        named = {"mwg-rs:Name": face.name} if face.name else {}
        mwg.append({**area, **named, "mwg-rs:Type": "Face"})
        rectangle = f"{left:.6f}, {top:.6f}, {right - left:.6f}, {bottom - top:.6f}"
        mp.append({"MPReg:PersonDisplayName": face.name, "MPReg:Rectangle": rectangle}
                  if face.name else {"MPReg:Rectangle": rectangle})  # fmt: skip
    changes: dict[str, object | None] = {key: None for key in _region_keys(xmp)}
    if mwg:
        width, height = stored_size or (
            xmp.get(MWG + "AppliedToDimensions/stDim:w"),
            xmp.get(MWG + "AppliedToDimensions/stDim:h"),
        )
        if width is not None and height is not None:
            changes.update({
                MWG + "AppliedToDimensions": 'type="Struct"',
                MWG + "AppliedToDimensions/stDim:w": str(width),
                MWG + "AppliedToDimensions/stDim:h": str(height),
                MWG + "AppliedToDimensions/stDim:unit": "pixel",
            })  # fmt: skip
        changes[MWG + "RegionList"] = 'type="Bag"'
        for position, fields in enumerate(mwg, 1):
            changes.update(_entry(MWG + "RegionList", position, fields))
    if mp:
        changes[MP] = 'type="Bag"'
        for position, fields in enumerate(mp, 1):
            changes.update(_entry(MP, position, fields))
    return changes


def names_in(xmp: Mapping[str, object]) -> set[str]:
    """The names of the packet's regions, casefolded."""
    return {
        str(value).strip().casefold()
        for key, value in xmp.items()
        if key.endswith(("/mwg-rs:Name", "/MPReg:PersonDisplayName"))
    }


def stored_size(shown_width: int, shown_height: int, orientation: int | None) -> tuple[int, int]:
    """The stored image's size from the size shown."""
    if turns_sideways(orientation):
        return shown_height, shown_width
    return shown_width, shown_height


@contextlib.contextmanager
def _beside(path: str):
    """A temporary file name beside `path` (removed afterwards unless renamed into place);
    OS errors become one-line `RegionWriteError`s naming `path`."""
    folder, name = os.path.split(path)
    temporary = os.path.join(folder, f".{name}.facegraph-{os.getpid()}.tmp")
    try:
        yield temporary
    except OSError as exc:
        raise RegionWriteError(f"{path}: {exc.strerror or exc}") from None
    finally:
        with contextlib.suppress(OSError):
            os.remove(temporary)


def _apply(path: str, changes: dict[str, object | None]) -> None:
    image = _open(path)
    try:
        image.modify_xmp(changes)
    except Exception as exc:
        raise RegionWriteError(f"{path}: {_first_line(exc)}") from None
    finally:
        image.close()


def _read(path: str) -> dict:
    image = _open(path)
    try:
        return image.read_xmp()
    except Exception as exc:
        raise RegionWriteError(f"{path}: {_first_line(exc)}") from None
    finally:
        image.close()


def edit_sidecar(sidecar: str, edit) -> None:
    """Rewrite a sidecar's regions: ``edit(xmp) -> changes`` (see `region_changes`), written
    atomically; a sidecar that is not readable XMP is left alone (an error)."""
    with _beside(sidecar) as temporary:
        if os.path.exists(sidecar):
            with open(sidecar, "rb") as handle:
                why = check_packet(handle.read())
            if why is not None:
                raise RegionWriteError(f"{sidecar}: {why}; not changed")
            shutil.copy2(sidecar, temporary)
        else:
            with open(temporary, "w", encoding="utf-8") as out:
                out.write(EMPTY_PACKET)
        xmp = _read(temporary)
        changes = edit(xmp)
        if not changes and os.path.exists(sidecar):
            return
        left = {k for k in xmp if changes.get(k, "") is not None}
        if not left and not any(v is not None for v in changes.values()):  # nothing left
            with open(temporary, "w", encoding="utf-8") as out:
                out.write(EMPTY_PACKET)
        elif changes:
            _apply(temporary, changes)
        os.replace(temporary, sidecar)


def edit_embedded(photo: str, edit) -> None:
    """Rewrite the regions inside a photo file, atomically; refused if the pixels would
    change."""
    with _beside(photo) as temporary:
        shutil.copy2(photo, temporary)
        changes = edit(_read(temporary))
        if not changes:
            return
        _apply(temporary, changes)
        if not _same_pixels(photo, temporary):
            raise RegionWriteError(f"{photo}: writing would change the image itself; not changed")
        os.replace(temporary, photo)


def _same_pixels(a: str, b: str) -> bool:
    from PIL import Image

    with Image.open(a) as first, Image.open(b) as second:
        return first.size == second.size and first.tobytes() == second.tobytes()
