"""The "Find a person" page: an uploaded photo (or a face already in the library) searched for
among every stored face, the matches shown with their confidence, accepted into a person (new
or existing) or rejected; a rejection is remembered and the face never proposed for that
person again.

An uploaded reference photo is read from a temporary folder and deleted after the search; it
joins the library only when the form asks ("also add").
"""

from __future__ import annotations

import base64
import io
import os
import shutil
import tempfile
import time
from pathlib import Path

from PIL import Image
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from ..errors import FacegraphError
from ..people.edits import UPLOADS
from .actions import _alone, save_uploads
from .site import back, checked_form, site

#: matches at least this confident start ticked "accept"; the others start "leave"
ACCEPT_FROM = 0.9


def find_form(request: Request) -> Response:
    """The empty form, or (``?face=ID[&person=P]``) the matches of a stored face."""
    query = request.query_params
    face = _int(query.get("face"))
    if face is None:
        return _render(request, None, None, person=_int(query.get("person")))
    return _search(request, [], [face], _int(query.get("person")), None, {})


async def find_upload(request: Request) -> Response:
    """Search for the face in the uploaded photos."""
    form = await checked_form(request)
    person = _int(form.get("person"))
    min_confidence = _float(form.get("min_confidence"))
    with tempfile.TemporaryDirectory(prefix="facegraph-find-") as folder:
        saved = await save_uploads(form.get("files") or [], Path(folder), numbered=True)
        paths = [str(p) for p in saved]
        if not paths:
            return back(form, "choose a photo of the person to find", "/find")
        references = await run_in_threadpool(_reference_crops, paths)
        page = await run_in_threadpool(
            _search, request, paths, [], person, min_confidence, references
        )
        if form.get("add"):
            await _add_to_library(request, paths)
    return page


async def find_accept(request: Request) -> Response:
    """Accept the faces ticked "accept" into the chosen person, remember the "not them"."""
    from ..people.edits import accept_faces

    form = await checked_form(request)
    accept, reject = [], []
    for key, value in form.items():
        if key.startswith("decision-") and key[9:].isdigit():
            (accept if value == "accept" else reject if value == "reject" else []).append(
                int(key[9:])
            )
    new_name = str(form.get("new_name") or "").strip()
    target: int | str | None = new_name or _int(form.get("person"))
    if target is None:
        return back(form, "choose the person they are, or type a new name", "/find")
    if not accept and not reject:
        return back(form, "nothing ticked: accept or reject some faces first", "/find")
    try:
        done = await _alone(
            request, accept_faces, site(request).library, accept, target, reject, "find"
        )
    except FacegraphError as exc:
        return back(form, str(exc), "/find")
    said = f"{len(accept)} faces accepted, {len(reject)} rejected (remembered)"
    return back({"next": f"/people/{done['person_id']}"}, said)


def _search(request, paths, face_ids, person, min_confidence, references) -> Response:
    from ..find.search import DEFAULT_MIN_CONFIDENCE, find_faces

    here = site(request)
    chosen = DEFAULT_MIN_CONFIDENCE if min_confidence is None else min_confidence
    try:
        with here.turns.reading():
            result = find_faces(
                here.library, paths, face_ids=face_ids, min_confidence=chosen, for_person=person
            )
    except FacegraphError as exc:
        return _render(request, None, str(exc), person=person, references=references)
    return _render(request, result, None, person=person, references=references)


def _render(request, result, error, person=None, references=None) -> Response:
    from ..people.read import person_names

    here = site(request)
    with here.turns.reading():
        named = person_names(here.library)
    matched = {}
    if result is not None:
        matched = {p: name for p, name, _ in result.by_person() if p is not None}
    choices = {**{p: n for p, n in named}, **{p: n or f"Person {p}" for p, n in matched.items()}}
    return here.render(
        request,
        "find.html",
        result=result,
        error=error,
        person=person,
        choices=sorted(choices.items(), key=lambda kv: (kv[0] not in matched, str(kv[1]))),
        references=references or {},
        accept_from=ACCEPT_FROM,
    )


def _reference_crops(paths: list[str]) -> dict[str, str]:
    """A small picture of each reference photo, as a data URI (the file itself is deleted)."""
    crops = {}
    for path in paths:
        try:
            with Image.open(path) as image:
                image.thumbnail((240, 240))
                out = io.BytesIO()
                image.convert("RGB").save(out, "JPEG", quality=80)
        except Exception:  # not an image: the search says why
            continue
        crops[path] = "data:image/jpeg;base64," + base64.b64encode(out.getvalue()).decode()
    return crops


async def _add_to_library(request: Request, paths: list[str]) -> None:
    here = site(request)
    folder = here.library / UPLOADS / time.strftime("find-%Y%m%d-%H%M%S")
    folder.mkdir(parents=True, exist_ok=True)
    for path in paths:
        shutil.move(path, folder / os.path.basename(path).split("-", 1)[1])
    here.jobs.start_ingest(here.library, [str(folder)])


def _int(value) -> int | None:
    text = str(value or "").strip()
    return int(text) if text.isdigit() else None


def _float(value) -> float | None:
    try:
        number = float(str(value))
    except ValueError:
        return None
    return number if 0 <= number <= 1 else None
