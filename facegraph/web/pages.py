"""The pages (GET): each reads the library through the same functions the CLI uses."""

from __future__ import annotations

import functools
import io
from html import escape

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response

from ..errors import PersonNotFoundError
from ..people.params import METHODS
from .site import site

PAGE_SIZE = 60


def reads(handler):
    """A page reads the library together with other pages, never during a change."""

    @functools.wraps(handler)
    def page(request: Request) -> Response:
        with site(request).turns.reading():
            return handler(request)

    return page


@reads
def library_page(request: Request) -> Response:
    from ..ingestion.stats import errors, stats
    from ..people.read import edit_history, faces_without_person, people_page

    here = site(request)
    counts = stats(here.library)
    people, _ = people_page(here.library, limit=0)
    unassigned = faces_without_person(here.library)
    return here.render(
        request,
        "library.html",
        counts=counts,
        people=people,
        unassigned=sum(unassigned.values()),
        unassigned_by=unassigned,
        failed=errors(here.library)[:200],
        edits=edit_history(here.library, 10),
        job=here.jobs.state(),
        methods=METHODS,
    )


@reads
def people_grid(request: Request) -> Response:
    from ..people.read import people_page

    here = site(request)
    query = request.query_params
    search, show = query.get("q", ""), query.get("show", "visible")
    if show not in ("visible", "unnamed", "hidden", "all"):
        show = "visible"
    page = max(1, _int(query.get("page"), 1))
    total, rows = people_page(
        here.library, search=search, show=show, offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE
    )
    return here.render(
        request,
        "people.html",
        rows=rows,
        total=total,
        page=page,
        pages=max(1, -(-total // PAGE_SIZE)),
        q=search,
        show=show,
    )


@reads
def person_page(request: Request) -> Response:
    from ..people.read import show_person

    here = site(request)
    person_id = request.path_params["person_id"]
    try:
        person = show_person(here.library, person_id)
    except PersonNotFoundError:
        raise HTTPException(404, f"no person {person_id}") from None
    merge_with = _int(request.query_params.get("merge_with"), 0)
    return here.render(request, "person.html", person=person, merge_with=merge_with)


@reads
def person_names(request: Request) -> Response:
    """Named people, for the "move to" box (fetched when it is first used)."""
    from ..people.read import person_names as names

    return JSONResponse([{"id": i, "name": n} for i, n in names(site(request).library)])


@reads
def photo_page(request: Request) -> Response:
    from ..ingestion.stats import photo
    from ..ingestion.video import item_name

    here = site(request)
    found = photo(here.library, request.path_params["image_id"])
    if found is None:
        raise HTTPException(404, "no such photo in this library")
    found["name"] = item_name(found["path"])  # a shot of a video: "clip.mp4 at 02:13-02:20"
    return here.render(request, "photo.html", photo=found)


@reads
def photo_file(request: Request) -> Response:
    from ..ingestion.stats import picture_addresses
    from ..ingestion.video import FRAGMENT

    image_id = request.path_params["image_id"]
    address = picture_addresses(site(request).library, [image_id]).get(image_id)
    if address is None:
        raise HTTPException(404, "no such photo in this library (or it was moved away)")
    cache = {"Cache-Control": "private, max-age=3600"}
    if FRAGMENT not in address:
        return FileResponse(address, headers=cache)
    return Response(_shot_frame(address), media_type="image/jpeg", headers=cache)


def _shot_frame(address: str) -> bytes:
    """A shot of a video as the JPEG of its frame (`pictures.open_picture`)."""
    from ..ingestion.pictures import open_picture

    frame = open_picture(address, 1920)
    if frame is None:
        raise HTTPException(404, "the video of this shot cannot be read (or it was moved away)")
    out = io.BytesIO()
    frame.save(out, "JPEG", quality=88)
    return out.getvalue()


@reads
def face_crop(request: Request) -> Response:
    from ..people.read import face_crops

    face_id = request.path_params["face_id"]
    crop = face_crops(site(request).library, [face_id]).get(face_id)
    if crop is None:
        raise HTTPException(404, "no crop for that face")
    return Response(
        crop, media_type="image/jpeg", headers={"Cache-Control": "private, max-age=600"}
    )


@reads
def review_page(request: Request) -> Response:
    from ..people.suggest import suggest_people_for_faces, suggest_same_person

    here = site(request)
    return here.render(
        request,
        "review.html",
        pairs=suggest_same_person(here.library, limit=30),
        faces=suggest_people_for_faces(here.library, limit=30),
    )


@reads
def network_view(request: Request) -> Response:
    from ..coappearance.export import network_page

    page = network_page(
        site(request).library,
        person_link="/people/{id}",
        evidence_link="/evidence?people={a},{b}",
    )
    return HTMLResponse(page)


def evidence_page(request: Request) -> Response:
    """The evidence sheet of ``?people=3,7`` (IDs or names), as `facegraph evidence` writes it."""
    from ..evidence import evidence_sheet
    from ..evidence.html import render_sheet

    people = [p for p in request.query_params.get("people", "").split(",") if p.strip()]
    if not people:
        return HTMLResponse("<p>Which people? /evidence?people=3,7</p>", status_code=400)
    try:
        sheet = evidence_sheet(site(request).library, people)
    except PersonNotFoundError as exc:
        return HTMLResponse(f"<p>{escape(str(exc))}</p>", status_code=404)
    return HTMLResponse(render_sheet(sheet))


def ingest_progress(request: Request) -> Response:
    return JSONResponse(site(request).jobs.state())


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default
