"""What a published copy of a photo keeps of its metadata, and what it drops.

A redacted copy is written from its pixels, so nothing rides along unless it is put back on
purpose. Put back: the colour profile, and from EXIF only the dates and the camera's make and
model. Everything else is dropped, and what it held is named in the log: the GPS position,
every XMP packet (face regions, person names, keywords, place names), IPTC (``PersonInImage``,
captions, locations), the EXIF thumbnail (a small copy of the unblurred photo), maker notes and
serial numbers, the photographer's and the subject's names, comments and text chunks. Sidecar
files beside the photo are never copied.
"""

from __future__ import annotations

import os

from PIL import ExifTags, Image

from ..xmp.files import embedded_regions, sidecars_of

#: EXIF tags a published copy keeps: when it was taken and with what camera
KEPT_TAGS = {ExifTags.Base.Make, ExifTags.Base.Model, ExifTags.Base.DateTime}
KEPT_EXIF_IFD_TAGS = {
    ExifTags.Base.DateTimeOriginal,
    ExifTags.Base.DateTimeDigitized,
    ExifTags.Base.OffsetTime,
    ExifTags.Base.OffsetTimeOriginal,
    ExifTags.Base.OffsetTimeDigitized,
}
#: IFD pointers: their contents are judged tag by tag, the pointer itself is not news
_POINTERS = {int(ExifTags.IFD.Exif), int(ExifTags.IFD.GPSInfo), int(ExifTags.IFD.Interop)}
#: these are written again as the pixels are (turned upright), so dropping them says nothing
_LAYOUT = {
    ExifTags.Base.Orientation,
    ExifTags.Base.XResolution,
    ExifTags.Base.YResolution,
    ExifTags.Base.ResolutionUnit,
    ExifTags.Base.ExifImageWidth,
    ExifTags.Base.ExifImageHeight,
    ExifTags.Base.YCbCrPositioning,
    ExifTags.Base.ColorSpace,
}


def kept_exif(image: Image.Image) -> Image.Exif:
    """A new EXIF block with only the dates and the camera of `image`'s."""
    original = image.getexif()
    kept = Image.Exif()
    for tag in KEPT_TAGS:
        if tag in original:
            kept[tag] = original[tag]
    inner = original.get_ifd(ExifTags.IFD.Exif)
    for tag in KEPT_EXIF_IFD_TAGS:
        if tag in inner:
            kept.get_ifd(ExifTags.IFD.Exif)[tag] = inner[tag]
    return kept


def _tag_name(tag: int, names: dict[int, str]) -> str:
    return names.get(tag, f"tag 0x{tag:04x}")


def dropped_exif(image: Image.Image) -> list[str]:
    """What of `image`'s EXIF a published copy leaves out, in words."""
    exif = image.getexif()
    dropped = []
    if exif.get_ifd(ExifTags.IFD.GPSInfo):
        dropped.append("EXIF GPS position")
    if exif.get_ifd(ExifTags.IFD.IFD1) or "thumbnail" in image.info:
        dropped.append("EXIF thumbnail")
    names = {int(t): t.name for t in ExifTags.Base}
    others = [
        _tag_name(tag, names)
        for tag in exif
        if tag not in KEPT_TAGS and tag not in _POINTERS and tag not in _LAYOUT
    ]
    inner = exif.get_ifd(ExifTags.IFD.Exif)
    others += [
        _tag_name(tag, names)
        for tag in inner
        if tag not in KEPT_EXIF_IFD_TAGS and tag not in _LAYOUT and tag != ExifTags.IFD.Interop
    ]
    if others:
        dropped.append("EXIF " + ", ".join(sorted(set(others))))
    return dropped


def dropped_metadata(path: str, data: bytes, image: Image.Image) -> list[str]:
    """Everything of the photo's metadata a published copy leaves out, in words: EXIF (see
    `dropped_exif`), XMP with the face regions and names it held, IPTC, comments, text chunks,
    sidecars."""
    dropped = dropped_exif(image)
    info = image.info
    packet = info.get("xmp") or info.get("XML:com.adobe.xmp")
    if packet:
        regions = embedded_regions(data).regions
        faces = [r for r in regions if r.box is not None]
        names = sorted({r.name for r in regions if r.name})
        what = f"XMP ({len(faces)} face region(s)" if faces else "XMP (no face regions"
        what += f"; names: {', '.join(names)})" if names else ")"
        dropped.append(what)
    if "photoshop" in info or "iptc" in info:
        dropped.append("IPTC (people, captions, places)")
    if info.get("comment"):
        dropped.append("JPEG comment")
    text = getattr(image, "text", None) if image.format == "PNG" else None
    chunks = sorted(k for k in text or {} if k != "XML:com.adobe.xmp")
    if chunks:
        dropped.append("PNG text " + ", ".join(chunks))
    dropped += [f"sidecar {os.path.basename(s)} (not copied)" for s in sidecars_of(path)]
    return dropped
