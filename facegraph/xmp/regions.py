"""Face regions from XMP properties (as pyexiv2 reads them) into plain records.

Three forms are read:

- MWG regions (``mwg-rs:Regions``): ``Area`` x/y is the box's centre, w/h its size, normalised
  to the stored image (``AppliedToDimensions``); ``Type`` Face, Pet, Focus or BarCode.
- Microsoft People Tags (``MP:RegionInfo``): ``Rectangle`` is "left, top, width, height",
  normalised; ``PersonDisplayName``. Tools that write both (digiKam) give the same box in each.
- IPTC ``PersonInImage``: names without boxes.

A face written in both MWG and MP (same name, overlapping boxes) is one region. What cannot
be used (a zero-size box, one outside the image, a value that is not a number) is skipped with
one line saying why.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, replace

from .orientation import Box, shown_box, turns_sideways

MWG = "Xmp.mwg-rs.Regions/mwg-rs:"
MP = "Xmp.MP.RegionInfo/MPRI:Regions"
IPTC_NAMES = "Xmp.iptcExt.PersonInImage"
#: a name longer than this many characters is cut (people's names are at most 200)
MAX_NAME = 200
#: an MWG and an MP region with the same name overlapping this much are one face
SAME_REGION_IOU = 0.5


@dataclass(frozen=True)
class Region:
    """A region of a photo, as its metadata gives it."""

    standard: str  # "MWG", "MP", "MWG+MP" or "IPTC"
    kind: str | None  # "Face", "Pet", "Focus", "BarCode"...; None for a name without a box
    name: str | None
    #: normalised left, top, right, bottom in the photo as shown; None for names only
    box: Box | None


def clean_name(raw: object, notes: list[str]) -> str | None:
    """A name as a person would type it: control characters removed, spaces collapsed."""
    if isinstance(raw, list):  # a name written as a list of values
        raw = " ".join(str(part) for part in raw)
    if raw is None:
        return None
    text = str(raw)
    kept = "".join(_printable(c) for c in text)
    if any(unicodedata.category(c)[0] == "C" and c not in "\t\n\r" for c in text):
        notes.append(f"region name {_quoted(kept)} had control characters; they were removed")
    name = " ".join(kept.split())
    if len(name) > MAX_NAME:
        notes.append(f"region name {_quoted(name)} is longer than {MAX_NAME} characters; cut")
        name = name[:MAX_NAME].rstrip()
    return name or None


#: invisible characters that names really use (Persian, Indic scripts): joiners
_JOINERS = {"\u200c", "\u200d"}


def _printable(character: str) -> str:
    """Control characters become spaces; invisible formatting (a right-to-left override that
    would show a name backwards, a zero-width space) goes, joiners aside."""
    category = unicodedata.category(character)
    if category == "Cc" or category in ("Zl", "Zp"):
        return " "
    if category[0] == "C" and character not in _JOINERS:
        return ""
    return character


def _quoted(text: str, limit: int = 40) -> str:
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")


def number(value: object) -> float:
    text = str(value).strip()
    if "/" in text:  # exiv2 writes some reals as rationals
        top, bottom = text.split("/", 1)
        return float(top) / float(bottom)
    return float(text)


def indexed_fields(xmp: Mapping[str, object], prefix: str) -> dict[int, dict[str, object]]:
    """``{n: {field path: value}}`` for the keys ``prefix[n]/field...``."""
    pattern = re.compile(re.escape(prefix) + r"\[(\d+)\]/(.+)")
    found: dict[int, dict[str, object]] = {}
    for key, value in xmp.items():
        match = pattern.fullmatch(key)
        if match:
            found.setdefault(int(match[1]), {})[match[2]] = value
    return dict(sorted(found.items()))


def _checked_box(box: Box, name: str | None, notes: list[str]) -> Box | None:
    left, top, right, bottom = box
    what = f"region {_quoted(name)}" if name else "a region"
    if not right > left or not bottom > top:
        notes.append(f"{what} has no area; skipped")
        return None
    clipped = (max(0.0, left), max(0.0, top), min(1.0, right), min(1.0, bottom))
    if not (clipped[2] > clipped[0] and clipped[3] > clipped[1]):
        notes.append(f"{what} lies outside the image; skipped")
        return None
    return clipped


def _mwg_regions(xmp, orientation, shown_size, notes) -> list[Region]:
    applied = (
        xmp.get(MWG + "AppliedToDimensions/stDim:w"),
        xmp.get(MWG + "AppliedToDimensions/stDim:h"),
    )
    regions = []
    for fields in indexed_fields(xmp, MWG + "RegionList").values():
        name = clean_name(fields.get("mwg-rs:Name"), notes)
        kind = str(fields.get("mwg-rs:Type") or "Face").strip() or "Face"
        try:
            x, y, w, h = (number(fields[f"mwg-rs:Area/stArea:{k}"]) for k in "xywh")
            if str(fields.get("mwg-rs:Area/stArea:unit", "normalized")).lower() == "pixel":
                width, height = number(applied[0]), number(applied[1])
                x, y, w, h = x / width, y / height, w / width, h / height
        except (KeyError, ValueError, TypeError, ZeroDivisionError):
            if name or "mwg-rs:Area/stArea:x" in fields:
                notes.append(f"region {_quoted(name or '?')}: its area is unreadable; skipped")
            continue
        stored = (x - w / 2, y - h / 2, x + w / 2, y + h / 2)
        box = _checked_box(stored, name, notes)
        if box is not None:
            box = _shown(box, orientation, applied, shown_size)
            regions.append(Region("MWG", kind, name, box))
    return regions


def _shown(box: Box, orientation, applied, shown_size) -> Box:
    """A stored-image box in the photo as shown. A few tools write the regions of the photo as
    shown (the guidelines say: as stored); their ``AppliedToDimensions`` then are the shown
    size where the stored one is turned sideways, and the box is taken as it is."""
    if turns_sideways(orientation) and shown_size and shown_size[0] != shown_size[1]:
        try:
            if (round(number(applied[0])), round(number(applied[1]))) == tuple(shown_size):
                return box
        except (TypeError, ValueError, ZeroDivisionError):
            pass
    return shown_box(box, orientation)


def _mp_regions(xmp, orientation, notes) -> list[Region]:
    regions = []
    for fields in indexed_fields(xmp, MP).values():
        name = clean_name(fields.get("MPReg:PersonDisplayName"), notes)
        rectangle = fields.get("MPReg:Rectangle")
        if rectangle is None:
            if name:
                regions.append(Region("MP", None, name, None))
            continue
        try:
            left, top, w, h = (number(part) for part in str(rectangle).split(","))
        except ValueError:
            notes.append(f"region {_quoted(name or '?')}: its rectangle is unreadable; skipped")
            continue
        box = _checked_box((left, top, left + w, top + h), name, notes)
        if box is not None:
            regions.append(Region("MP", "Face", name, shown_box(box, orientation)))
    return regions


def overlap(a: Box, b: Box) -> float:
    """Intersection over union of two ``(left, top, right, bottom)`` boxes (normalised or
    pixels)."""
    width = min(a[2], b[2]) - max(a[0], b[0])
    height = min(a[3], b[3]) - max(a[1], b[1])
    if width <= 0 or height <= 0:
        return 0.0
    inter = width * height
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


def _same_name(a: str | None, b: str | None) -> bool:
    return (a or "").casefold() == (b or "").casefold()


def _twins(mwg: Region, mp: Region) -> bool:
    """Whether an MP region is the face an MWG region already gives (digiKam writes both)."""
    if mwg.standard != "MWG" or not _same_name(mwg.name, mp.name):
        return False
    return mp.box is None or (mwg.box is not None and overlap(mwg.box, mp.box) >= SAME_REGION_IOU)


def regions_from_xmp(
    xmp: Mapping[str, object],
    orientation: int | None,
    shown_size: tuple[int, int] | None,
    notes: list[str],
) -> list[Region]:
    """The regions of one XMP packet, MWG first, each face once; `notes` gets one line per
    region that could not be used."""
    regions = _mwg_regions(xmp, orientation, shown_size, notes)
    for region in _mp_regions(xmp, orientation, notes):
        twin = next(
            (
                i
                for i, r in enumerate(regions)
                if r.standard == "MWG"
                and _same_name(r.name, region.name)
                and (
                    region.box is None or (r.box and overlap(r.box, region.box) >= SAME_REGION_IOU)
                )
            ),
            None,
        )
        if twin is None:
            regions.append(region)
        else:
            regions[twin] = replace(regions[twin], standard="MWG+MP")
    named = {r.name.casefold() for r in regions if r.name}
    people = xmp.get(IPTC_NAMES) or []
    for raw in people if isinstance(people, list) else [people]:
        name = clean_name(raw, notes)
        if name and name.casefold() not in named:
            named.add(name.casefold())
            regions.append(Region("IPTC", None, name, None))
    return regions
