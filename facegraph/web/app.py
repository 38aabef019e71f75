"""The app: one Starlette application over one library, its templates, and the rules every
request follows.

- Every page reads the library afresh (an ingest or a CLI edit shows at the next request), and
  every change calls the library function the CLI calls, so it shows in ``facegraph people log``
  and can be undone.
- Requests that change anything are POST forms carrying this server's CSRF token; their Origin
  (when the browser sends one) must be this server; the Host must be one the server was started
  for (no DNS rebinding). Pages are Jinja2 templates with autoescaping: every name, path and
  message is text, never markup.
- Photos are served by their ID, for photos the library holds; crops come from the database.
  Nothing in a request is ever used as a path, except the folder a user types to add photos.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import jinja2
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from ..library import resolve_library_path
from .access import Turns
from .jobs import Jobs

HERE = Path(__file__).parent
LOCAL_HOSTS = ["127.0.0.1", "localhost", "::1", "[::1]", "testserver"]


class Site:
    """What every request needs: the library, the token, the templates, the running jobs."""

    def __init__(self, library: Path) -> None:
        self.library = library
        self.token = secrets.token_urlsafe(32)
        loader = jinja2.FileSystemLoader(str(HERE / "templates"))
        self.templates = Jinja2Templates(env=jinja2.Environment(loader=loader, autoescape=True))
        self.jobs = Jobs()
        self.turns = Turns()

    def render(self, request: Request, template: str, **context: Any) -> Response:
        context.update(
            csrf=self.token,
            said=request.query_params.get("said", ""),
            here=request.url.path,
            library=str(self.library),
        )
        return self.templates.TemplateResponse(request, template, context)


def site(request: Request) -> Site:
    return request.app.state.site


async def checked_form(request: Request) -> dict[str, Any]:
    """The form of a state-changing request, once it has passed the CSRF and Origin checks."""
    origin = request.headers.get("origin")
    host = request.headers.get("host", "")
    if origin is not None and urlsplit(origin).netloc != host:
        raise HTTPException(403, "this request came from another site")
    if request.headers.get("sec-fetch-site") == "cross-site":
        raise HTTPException(403, "this request came from another site")
    form = await request.form()
    if not secrets.compare_digest(str(form.get("csrf", "")), site(request).token):
        raise HTTPException(403, "the form's token is missing or stale; reload the page")
    return {key: form.getlist(key) if key in _LISTS else form.get(key) for key in form}


_LISTS = {"face", "files"}


def back(form: dict[str, Any], said: str = "", default: str = "/") -> RedirectResponse:
    """After a change: to the page the form names (a path of this site only), with a message."""
    target = str(form.get("next") or default)
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        target = default
    if said:
        target += ("&" if "?" in target else "?") + "said=" + quote(said)
    return RedirectResponse(target, status_code=303)


async def _error(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    detail = exc.detail if isinstance(exc, HTTPException) else "something went wrong"
    return PlainTextResponse(f"{status}: {detail}", status_code=status)


def create_app(
    library: str | os.PathLike[str] | None = None, *, hosts: list[str] | None = None
) -> Starlette:
    """The web app over `library`. `hosts`: the host names it answers to besides this machine's
    own (``--host``)."""
    from . import actions, pages

    routes = [
        Route("/", pages.library_page),
        Route("/people", pages.people_grid),
        Route("/people/{person_id:int}", pages.person_page),
        Route("/people/names", pages.person_names),
        Route("/photos/{image_id:int}", pages.photo_page),
        Route("/photos/{image_id:int}/image", pages.photo_file),
        Route("/faces/{face_id:int}.jpg", pages.face_crop),
        Route("/review", pages.review_page),
        Route("/network", pages.network_view),
        Route("/jobs/ingest", pages.ingest_progress),
        Route("/ingest", actions.add_folder, methods=["POST"]),
        Route("/upload", actions.upload, methods=["POST"]),
        Route("/cluster", actions.cluster, methods=["POST"]),
        Route("/people/{person_id:int}/name", actions.rename, methods=["POST"]),
        Route("/people/{person_id:int}/hide", actions.hide, methods=["POST"]),
        Route("/people/{person_id:int}/forget", actions.forget, methods=["POST"]),
        Route("/faces", actions.faces, methods=["POST"]),
        Route("/merge", actions.merge, methods=["POST"]),
        Route("/review/pair", actions.review_pair, methods=["POST"]),
        Route("/review/face", actions.review_face, methods=["POST"]),
        Route("/undo", actions.undo_last, methods=["POST"]),
        Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static"),
    ]
    allowed = LOCAL_HOSTS + [h for h in hosts or [] if h]
    app = Starlette(
        routes=routes,
        middleware=[Middleware(TrustedHostMiddleware, allowed_hosts=allowed)],
        exception_handlers={HTTPException: _error, 500: _error},
    )
    app.state.site = Site(resolve_library_path(library))
    return app
