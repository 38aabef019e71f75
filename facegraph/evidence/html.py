"""The evidence sheet as one self-contained HTML file: thumbnails inlined as data URIs, the
faces' boxes drawn over them and labelled, nothing fetched from anywhere."""

from __future__ import annotations

import base64
import io
from html import escape

from ..ingestion.pictures import open_picture
from ..ingestion.video import item_name, part_path, video_of
from .sheet import EvidencePhoto, EvidenceSheet

#: long side of the photos shown, in pixels
THUMB_SIDE = 720
#: box colours, one per person of the sheet (then repeated)
COLOURS = ("#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#008080", "#9a6324")

_STYLE = """
body { font: 15px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 1100px;
       padding: 0 1rem; color: #222; }
h1 { font-size: 1.5rem; margin-bottom: .2rem; }
.muted { color: #666; }
.photo { border-top: 1px solid #ccc; padding: 1.2rem 0; display: flex; gap: 1.5rem;
         flex-wrap: wrap; break-inside: avoid; }
.frame { position: relative; line-height: 0; flex: none; width: min(100%, 480px); }
.frame img { width: 100%; height: auto; }
.box { position: absolute; border: 3px solid; box-sizing: border-box; }
.box span { position: absolute; left: -3px; top: -1.5rem; line-height: 1.3; color: #fff;
            font-size: 13px; padding: 0 .3rem; white-space: nowrap; }
.facts { flex: 1; min-width: 320px; }
.facts td, .facts th { text-align: left; vertical-align: top; padding: .1rem .6rem .1rem 0; }
code { font-size: 12px; word-break: break-all; }
.warn { color: #b00020; font-weight: 600; }
.by-person { color: #0b6e2b; } .by-clustering { color: #8a5a00; }
"""


def render_sheet(sheet: EvidenceSheet) -> str:
    colour = {p["person_id"]: COLOURS[i % len(COLOURS)] for i, p in enumerate(sheet.people)}
    who = " & ".join(escape(p["label"]) for p in sheet.people)
    ids = ", ".join(f"{escape(p['label'])} = person {p['person_id']}" for p in sheet.people)
    count = len(sheet.photos)
    sections = "\n".join(_photo(photo, colour) for photo in sheet.photos)
    nothing = "" if count else "<p>They appear in no photo together.</p>"
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Evidence: {who}</title><style>{_STYLE}</style></head>
<body>
<h1>Evidence: {who}</h1>
<p class="muted">{count} photo{"" if count == 1 else "s"} in which all of them appear
({sheet.undated} undated; {sheet.moments} moment{"" if sheet.moments == 1 else "s"},
near-duplicates counted once), oldest first. {ids}. Library {escape(sheet.library)};
made {escape(sheet.made_at)} by facegraph {escape(sheet.facegraph_version)}.</p>
<p class="muted">Distance: from the face to the nearest other face of the same person (dlib's
encodings; lower is nearer). Confidence: the share of search matches at that distance that
were the person, measured on LFW (see <code>facegraph find</code>). "Decided by a person":
a person placed the face; "clustering": facegraph grouped it and no one has checked it.
SHA-256: of the file as it is now.</p>
{nothing}{sections}
</body></html>
"""


def _photo(photo: EvidencePhoto, colour: dict[int, str]) -> str:
    picture = _thumbnail(photo)
    if picture is None:
        frame = '<div class="frame"><p class="warn">The photo cannot be read.</p></div>'
    else:
        uri, (width, height) = picture
        boxes = "".join(
            _box(face.box, face.person, colour[face.person_id], width, height)
            for face in photo.faces
            if photo.frame_s is None  # a shot's faces are from their own frames
        )
        frame = (
            f'<div class="frame"><img src="{uri}" width="{THUMB_SIDE}" '
            f'alt="{escape(photo.path)}">{boxes}</div>'
        )
    state = escape(photo.file)
    if photo.file != "as analysed":
        state = f'<span class="warn">{state}</span>'
    rows = "".join(_face_row(face, colour[face.person_id]) for face in photo.faces)
    return f"""<section class="photo" id="photo-{photo.image_id}">{frame}
<div class="facts"><table>
<tr><th>Date</th><td>{escape(photo.taken_at or "undated")}</td></tr>
<tr><th>Path</th><td><code>{escape(photo.path)}</code></td></tr>{_shot(photo)}
<tr><th>SHA-256</th><td><code>{escape(photo.sha256 or "-")}</code></td></tr>
<tr><th>File</th><td>{state}</td></tr>{_same_moment(photo)}
</table>
<table class="faces"><tr><th>Person</th><th>Face</th><th>Distance</th><th>Confidence</th>
<th>Identity decided by</th></tr>{rows}</table></div></section>"""


def _frame_address(photo: EvidencePhoto) -> str:
    """A shot's frame that shows it (`pictures.open_picture`)."""
    return part_path(video_of(photo.path), photo.frame_s or 0.0, None)


def _shot(photo: EvidencePhoto) -> str:
    if photo.frame_s is None:
        return ""
    seen = item_name(photo.path)
    shown = item_name(_frame_address(photo))
    return (
        f"<tr><th>Video</th><td>{escape(seen)}; the frame shown: {escape(shown)}. Each face"
        " below is from the frame in which it is seen best.</td></tr>"
    )


def _same_moment(photo: EvidencePhoto) -> str:
    if photo.same_moment_as is None:
        return ""
    return (
        "\n<tr><th>Moment</th><td>a near-duplicate of <code>"
        f"{escape(photo.same_moment_as)}</code> (a burst or a copy): counted once</td></tr>"
    )


def _face_row(face, colour: str) -> str:
    distance = "-" if face.distance is None else f"{face.distance:.3f}"
    sure = "- (their only photo)" if face.confidence is None else f"{face.confidence:.2f}"
    when = f" ({escape(face.decided_at)})" if face.decided_at else ""
    return (
        f'<tr><td style="color:{colour}">{escape(face.person)}</td><td>{face.face_id}</td>'
        f"<td>{distance}</td><td>{sure}</td>"
        f'<td class="by-{face.decided_by}">{escape(face.how)}{when}</td></tr>'
    )


def _box(box: list[int], label: str, colour: str, width: int, height: int) -> str:
    left, top, right, bottom = box
    style = (
        f"left:{100 * left / width:.2f}%;top:{100 * top / height:.2f}%;"
        f"width:{100 * (right - left) / width:.2f}%;height:{100 * (bottom - top) / height:.2f}%;"
        f"border-color:{colour}"
    )
    return (
        f'<div class="box" style="{style}"><span style="background:{colour}">'
        f"{escape(label)}</span></div>"
    )


def _thumbnail(photo: EvidencePhoto) -> tuple[str, tuple[int, int]] | None:
    """The photo upright as a data URI, and the size of the photo as shown (the boxes' frame:
    the stored size, turned by the EXIF orientation)."""
    from PIL import Image, ImageOps

    if photo.frame_s is not None:  # a shot of a video: its frame, upright as stored
        upright = open_picture(_frame_address(photo), THUMB_SIDE)
        if upright is None:
            return None
        width, height = upright.size
    else:
        try:
            with Image.open(photo.path) as image:
                width, height = image.size
                if image.getexif().get(0x0112) in (5, 6, 7, 8):
                    width, height = height, width
                image.draft("RGB", (THUMB_SIDE * 2, THUMB_SIDE * 2))
                upright = ImageOps.exif_transpose(image).convert("RGB")
        except (OSError, ValueError, Image.DecompressionBombError):
            return None
    upright.thumbnail((THUMB_SIDE, THUMB_SIDE))
    out = io.BytesIO()
    upright.save(out, "JPEG", quality=82)
    uri = "data:image/jpeg;base64," + base64.b64encode(out.getvalue()).decode("ascii")
    return uri, (photo.width or width, photo.height or height)
