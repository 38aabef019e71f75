"""The changes (POST): each checks the form, calls the library function the CLI calls, and sends
the browser back with a sentence saying what happened."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from ..errors import FacegraphError
from ..people.edits import UPLOADS
from .site import back, checked_form, site


async def _do(
    request: Request, form: dict, function, *args, said: str, default: str = "/", **kwargs
) -> Response:
    """Run a library change off the event loop, alone; a user's mistake becomes the message."""
    try:
        await _alone(request, function, *args, **kwargs)
    except FacegraphError as exc:
        return back(form, str(exc), default)
    return back(form, said, default)


async def _alone(request: Request, function, *args, **kwargs):
    """`function` in a worker thread, with the library to itself (see `access`)."""

    def run():
        with site(request).turns.writing():
            return function(*args, **kwargs)

    return await run_in_threadpool(run)


async def add_folder(request: Request) -> Response:
    form = await checked_form(request)
    folder = os.path.expanduser(str(form.get("folder") or "").strip())
    if not folder or not os.path.isdir(folder):
        return back(form, f"no folder {folder!r} on this machine")
    started = site(request).jobs.start_ingest(site(request).library, [os.path.abspath(folder)])
    return back(form, "adding photos…" if started else "photos are already being added")


async def upload(request: Request) -> Response:
    """Uploaded photos are stored under the library (``uploads/<time>/``), then added."""
    form = await checked_form(request)
    here = site(request)
    folder = here.library / UPLOADS / time.strftime("%Y%m%d-%H%M%S")
    saved = len(await save_uploads(form.get("files") or [], folder))
    if not saved:
        return back(form, "no files were uploaded")
    started = here.jobs.start_ingest(here.library, [str(folder)])
    return back(form, f"{saved} files uploaded; adding them…" if started else "busy; try again")


async def save_uploads(items, folder: Path, numbered: bool = False) -> list[Path]:
    """Write uploaded files into `folder` (made when one comes), in pieces (never a whole
    file in memory), under their own names made safe; nameless ones are skipped."""
    saved = []
    for index, item in enumerate(items):
        name = re.sub(r"[^\w.\- ]", "_", os.path.basename(str(getattr(item, "filename", ""))))
        if not name.strip(" ._"):
            continue
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / (f"{index}-{name}" if numbered else name)  # numbered: names may repeat
        with open(path, "wb") as out:
            while piece := await item.read(1024 * 1024):
                out.write(piece)
        saved.append(path)
    return saved


async def cluster(request: Request) -> Response:
    from ..people.params import ClusterParams
    from ..people.runs import cluster_people

    form = await checked_form(request)
    try:
        params = ClusterParams(
            method=str(form.get("method") or "consensus"),
            threshold=float(form.get("threshold") or ClusterParams().threshold),
        )
        report = await _alone(request, cluster_people, site(request).library, params)
    except (FacegraphError, ValueError) as exc:
        return back(form, str(exc))
    return back(form, report.summary())


async def rename(request: Request) -> Response:
    from ..people.edits import name_person
    from ..people.read import list_people

    form = await checked_form(request)
    person_id = request.path_params["person_id"]
    name = str(form.get("name") or "").strip() or None
    here = site(request)
    if name and not form.get("confirmed"):
        people = await _alone(request, list_people, here.library, True)
        same = [p for p in people if p["name"] == name and p["person_id"] != person_id]
        if same:  # a name already used: offer to merge rather than name two people alike
            form["next"] = f"/people/{person_id}?merge_with={same[0]['person_id']}"
            return back(form, f"{name} is already Person {same[0]['person_id']}: merge them?")
    said = f"named {name}" if name else "name cleared"
    return await _do(request, form, name_person, here.library, person_id, name, said=said)


async def hide(request: Request) -> Response:
    from ..people.edits import hide_person

    form = await checked_form(request)
    hidden = form.get("hidden") != "0"
    said = "hidden from the network" if hidden else "shown again"
    person_id = request.path_params["person_id"]
    return await _do(
        request, form, hide_person, site(request).library, person_id, hidden, said=said
    )


async def forget(request: Request) -> Response:
    from ..people.edits import forget_person

    form = await checked_form(request)
    person_id = request.path_params["person_id"]
    if form.get("confirm") != f"forget {person_id}":
        return back(form, f'type "forget {person_id}" to confirm; nothing was deleted')
    form["next"] = "/people"
    try:
        result = await _alone(request, forget_person, site(request).library, person_id)
    except FacegraphError as exc:
        return back(form, str(exc))
    said = f"Person {person_id} forgotten: their faces' data is deleted for good"
    if result.uploads_removed:
        said += f"; {len(result.uploads_removed)} uploaded photos that showed them deleted"
    if result.uploads_kept:
        said += f"; could not delete {', '.join(result.uploads_kept)}"
    if result.files_elsewhere:
        said += (
            "; exports outside the library may still show them, delete them if so: "
            + ", ".join(result.files_elsewhere)
        )
    return back(form, said[:1500])


async def faces(request: Request) -> Response:
    """Selected faces: move to a person (ID or exact name) or a new person, not this person,
    not a face."""
    from ..people.edits import mark_not_a_face, move_faces, reject_faces
    from ..people.read import list_people

    form = await checked_form(request)
    face_ids = [int(f) for f in form.get("face") or [] if str(f).isdigit()]
    if not face_ids:
        return back(form, "select faces first")
    library = site(request).library
    action = form.get("action")
    if action == "not-this-person":
        return await _do(
            request, form, reject_faces, library, face_ids, said=f"{len(face_ids)} faces taken out"
        )
    if action == "not-a-face":
        return await _do(
            request, form, mark_not_a_face, library, face_ids, said="marked not a face"
        )
    if action == "new":
        return await _do(
            request, form, move_faces, library, face_ids, None, said="moved to a new person"
        )
    if action != "move":
        raise HTTPException(400, "unknown action")
    target = str(form.get("to") or "").strip()
    if target.isdigit():
        person_id = int(target)
    else:
        people = await _alone(request, list_people, library, True)
        named = [p["person_id"] for p in people if p["name"] and p["name"] == target]
        if len(named) != 1:
            return back(form, f"no single person called {target!r}; give their ID")
        person_id = named[0]
    said = f"{len(face_ids)} faces moved to Person {person_id}"
    return await _do(request, form, move_faces, library, face_ids, person_id, said=said)


async def merge(request: Request) -> Response:
    from ..people.edits import merge_people

    form = await checked_form(request)
    source, into = _ints(form, "source", "into")
    form["next"] = f"/people/{into}"
    said = f"Person {source} merged into Person {into}"
    return await _do(request, form, merge_people, site(request).library, [source], into, said=said)


async def review_pair(request: Request) -> Response:
    """ "Same person?": yes merges the smaller into the larger; no keeps them apart for good."""
    from ..people.edits import keep_apart, merge_people

    form = await checked_form(request)
    a, b = _ints(form, "person_a", "person_b")
    library = site(request).library
    if form.get("decision") == "yes":
        return await _do(request, form, merge_people, library, [b], a, said=f"merged {b} into {a}")
    return await _do(request, form, keep_apart, library, a, b, said=f"{a} and {b} kept apart")


async def review_face(request: Request) -> Response:
    from ..people.edits import move_faces, reject_suggestion

    form = await checked_form(request)
    face_id, person_id = _ints(form, "face_id", "person_id")
    library = site(request).library
    if form.get("decision") == "yes":
        said = f"face {face_id} given to Person {person_id}"
        return await _do(request, form, move_faces, library, [face_id], person_id, said=said)
    said = f"face {face_id} is not Person {person_id}"
    return await _do(request, form, reject_suggestion, library, face_id, person_id, said=said)


async def undo_last(request: Request) -> Response:
    from ..people.edits import undo

    form = await checked_form(request)
    try:
        actions = await _alone(request, undo, site(request).library, 1)
    except FacegraphError as exc:
        return back(form, str(exc))
    return back(form, f"undone: {', '.join(actions)}")


def _ints(form: dict, *keys: str) -> list[int]:
    try:
        return [int(str(form.get(key))) for key in keys]
    except ValueError:
        raise HTTPException(400, f"{', '.join(keys)} must be numbers") from None
