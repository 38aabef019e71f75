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

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ..library import resolve_library_path
from . import actions, pages
from .site import HERE, Site

LOCAL_HOSTS = ["127.0.0.1", "localhost", "::1", "[::1]", "testserver"]


async def _error(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    detail = exc.detail if isinstance(exc, HTTPException) else "something went wrong"
    return PlainTextResponse(f"{status}: {detail}", status_code=status)


def create_app(
    library: str | os.PathLike[str] | None = None, *, hosts: list[str] | None = None
) -> Starlette:
    """The web app over `library`. `hosts`: the host names it answers to besides this machine's
    own (``--host``)."""
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
