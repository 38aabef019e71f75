"""The network page: one self-contained HTML file that reads at first sight.

Everything it needs is inside: vis-network (the copy pyvis ships), the page's own script and
style (``page/``), the people's faces and thumbnails of the photos behind the strongest ties as
data URIs, and the data as JSON that the script reads (names and paths are data, never markup).
Positions are computed here (`layout`), so the page opens at once, the same every time.
"""

from __future__ import annotations

import base64
import html
import io
import json
import re
from datetime import date, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import networkx as nx

from ..ingestion.pictures import open_picture
from ..ingestion.video import item_name
from .layout import layout, node_radii
from .stats import communities

#: colours for communities of two or more people (people without ties are grey)
PALETTE = (
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
    "#9c755f", "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#8c564b", "#17becf", "#bcbd22",
)  # fmt: skip
#: colours by estimated gender, and the ends of the age scale (light = young, dark = old)
GENDER_COLOURS = {"female": "#f28e2b", "male": "#4e79a7"}
AGE_SCALE = ((0xFD, 0xE7, 0x25), (0x44, 0x01, 0x54))  # viridis' ends
COLOURINGS = ("community", "gender", "age")
#: shared photos embedded as thumbnails: per tie, and in all
PHOTOS_PER_TIE = 8
PHOTOS_IN_ALL = 600
PHOTO_SIDE = 160
#: face thumbnails: smaller on large pages, so a 5,000-person page still opens at once
FACE_SIDE, FACE_SIDE_LARGE, LARGE = 96, 48, 1000


def page_data(
    network: nx.Graph,
    faces: dict[int, bytes],
    photos: dict[int, dict[str, Any]],
    appearances: dict[int, list[int]],
    pictures: dict[int, str],
    title: str,
    weight: str,
    colour_by: str = "community",
) -> dict[str, Any]:
    """What the page's script draws. `faces`: person → JPEG crop; `photos`: photo → ``{"date",
    "people", "name", "moment"}``; `appearances`: person → photos; `pictures`: photo → what to
    make its thumbnail from (`pictures.open_picture`: its file, or a shot's frame; photos that
    cannot be read get none). `colour_by`: ``community`` (the
    script colours communities), ``gender`` or ``age`` (colours and legend given here; people
    without an estimate are grey)."""
    if colour_by not in COLOURINGS:
        raise ValueError(f"colour_by must be one of {COLOURINGS}, not {colour_by!r}")
    community = {
        node: data["community"] for node, data in network.nodes(data=True) if "community" in data
    } or communities(network)
    positions = layout(network)
    radii = node_radii(network)
    side = FACE_SIDE_LARGE if network.number_of_nodes() > LARGE else FACE_SIDE
    people = []
    for node in sorted(network.nodes):
        data = network.nodes[node]
        x, y = positions[node]
        people.append(
            {
                "id": node,
                "label": data["label"],
                "name": data.get("name") or "",
                "photos": data["photos"],
                "ties": network.degree(node),
                "community": community.get(node),
                "x": round(x, 1),
                "y": round(y, 1),
                "size": round(radii[node], 1),
                "face": _data_uri(faces[node], side) if node in faces else None,
                "photo_ids": sorted(appearances.get(node, [])),
                "gender": data.get("gender"),
                "age": data.get("age"),
            }
        )
    legend = _colour_people(people, colour_by)
    ties = []
    for a, b, data in network.edges(data=True):
        a, b = min(a, b), max(a, b)
        shared = sorted(set(appearances.get(a, ())) & set(appearances.get(b, ())),
                        key=lambda p: (photos.get(p, {}).get("date") or "", p))  # fmt: skip
        ties.append(
            {
                "a": a,
                "b": b,
                "photos": shared,
                "weight": data["weight"],
                "newman": data["newman"],
                "jaccard": data["jaccard"],
                # shots of a video in which the two were seen, never together (`add_same_shot`)
                **({"sameShot": data["same_shot"]} if data.get("same_shot") else {}),
            }
        )
    ties.sort(key=lambda t: (-t["weight"], t["a"], t["b"]))
    used = {p for person in people for p in person["photo_ids"]}
    shown = {p: dict(photos[p]) for p in sorted(used) if p in photos}
    _embed_thumbnails(ties, shown, pictures)
    dates = sorted(p["date"] for p in shown.values() if p["date"])
    return {
        "title": title,
        "weight": weight,
        "palette": PALETTE,
        "colour_by": colour_by,
        "legend": legend,
        "counts": {
            "people": network.number_of_nodes(),
            "tied": sum(1 for n in network.nodes if network.degree(n) > 0),
            "ties": network.number_of_edges(),
            "photos": len(shown),
            "undated": sum(1 for p in shown.values() if not p["date"]),
            "undated_left_out": network.graph.get("undated_left_out", 0),
            "communities": len(set(community.values())),
        },
        "dates": {"first": dates[0], "last": dates[-1]} if dates else None,
        "people": people,
        "ties": ties,
        "photos": {str(p): info for p, info in shown.items()},
    }


def _colour_people(people: list[dict], colour_by: str) -> list[dict] | None:
    """For ``gender`` and ``age``: each person's ``colour`` (None = grey, no estimate) and the
    legend's entries; None for ``community``, which the script colours itself."""
    if colour_by == "community":
        return None
    if colour_by == "gender":
        for person in people:
            person["colour"] = GENDER_COLOURS.get(person["gender"])
        counts = {g: sum(p["gender"] == g for p in people) for g in GENDER_COLOURS}
        return [{"colour": GENDER_COLOURS[g], "text": f"{g} ({counts[g]})"} for g in counts]
    ages = [p["age"] for p in people if p["age"] is not None]
    low, high = (min(ages), max(ages)) if ages else (0.0, 1.0)
    for person in people:
        age = person["age"]
        person["colour"] = None if age is None else _age_colour((age - low) / ((high - low) or 1))
    steps = [low + (high - low) * i / 4 for i in range(5)] if ages else []
    return [
        {"colour": _age_colour((age - low) / ((high - low) or 1)), "text": f"about {age:.0f} years"}
        for age in steps
    ]


def _age_colour(share: float) -> str:
    young, old = AGE_SCALE
    return "#" + "".join(
        f"{round(a + (b - a) * share):02x}" for a, b in zip(young, old, strict=True)
    )


def _embed_thumbnails(ties: list[dict], photos: dict[int, dict], files: dict[int, str]) -> None:
    """Thumbnails of the photos behind the strongest ties, capped per tie and in all."""
    budget = PHOTOS_IN_ALL
    for tie in ties:  # strongest first
        for photo in tie["photos"][:PHOTOS_PER_TIE]:
            if budget == 0:
                return
            info = photos.get(photo)
            if info is None or "thumb" in info:
                continue
            info["thumb"] = _photo_thumbnail(files.get(photo))
            budget -= 1


def _photo_thumbnail(address: str | None) -> str | None:
    """A photo's (or a shot's frame's) thumbnail as a data URI; None when it cannot be read
    (moved, damaged): the page names the photo without a picture."""
    picture = open_picture(address, PHOTO_SIDE) if address is not None else None
    if picture is None:
        return None
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=70)
    return "data:image/jpeg;base64," + base64.b64encode(out.getvalue()).decode("ascii")


def _data_uri(jpeg: bytes, side: int) -> str:
    from PIL import Image

    image = Image.open(io.BytesIO(jpeg)).convert("RGB")
    image.thumbnail((side, side))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return "data:image/jpeg;base64," + base64.b64encode(out.getvalue()).decode("ascii")


def photo_record(
    taken_at: datetime | date | None, people: int, path: str, moment: int | None = None
) -> dict[str, Any]:
    """What the page knows of one photo (`moment`: the near-duplicates it is one with)."""
    record = {
        "date": taken_at.isoformat()[:10] if taken_at else None,
        "people": int(people),
        "name": item_name(path),  # a shot of a video: "clip.mp4 at 02:13-02:20"
    }
    if moment is not None:
        record["moment"] = int(moment)
    return record


def render_page(data: dict[str, Any]) -> str:
    """The whole HTML document."""
    folder = resources.files("facegraph.coappearance") / "page"
    vis = resources.files("pyvis") / "lib" / "vis-9.1.2"
    # JSON inside <script>: nothing in it may close the element or open a comment
    payload = (
        json.dumps(data, ensure_ascii=True, separators=(",", ":"))
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
    )
    parts = {
        "{{TITLE}}": html.escape(data["title"]),
        "{{VIS_CSS}}": (vis / "vis-network.css").read_text("utf-8"),
        "{{PAGE_CSS}}": (folder / "page.css").read_text("utf-8"),
        "{{VIS_JS}}": (vis / "vis-network.min.js").read_text("utf-8"),
        "{{PAGE_JS}}": (folder / "page.js").read_text("utf-8"),
        "{{DATA}}": payload,
    }
    template = (folder / "page.html").read_text("utf-8")
    # only the template is searched for placeholders, never what goes into it
    return "".join(parts.get(piece, piece) for piece in re.split(r"(\{\{[A-Z_]+\}\})", template))


def write_page(data: dict[str, Any], out: Path) -> None:
    out.write_text(render_page(data), "utf-8")
