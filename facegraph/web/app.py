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

import logging
import os

from starlette.applications import Starlette
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..library import DATABASE_FILE, damaged_database, is_damaged_database, resolve_library_path
from . import actions, find_page, pages
from .site import HERE, Site

LOCAL_HOSTS = ["127.0.0.1", "localhost", "::1", "[::1]"]

log = logging.getLogger(__name__)

#: the app's own pages: its scripts and styles are files; boxes on photos are placed by style
#: attributes; nothing may frame it (one click in a frame could merge, hide or forget)
APP_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; style-src-attr 'unsafe-inline';"
    " script-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
#: the network page is one self-contained file (its script and styles inline), as exported
NETWORK_POLICY = (
    "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline';"
    " script-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)

#: the evidence sheet, as `facegraph evidence` writes it: inline styles and images, no script
EVIDENCE_POLICY = (
    "default-src 'none'; img-src data:; style-src 'unsafe-inline'; frame-ancestors 'none';"
    " base-uri 'none'; form-action 'none'"
)
POLICIES = {"/network": NETWORK_POLICY, "/evidence": EVIDENCE_POLICY}


class SecurityHeaders:
    """Headers every answer carries: no framing, no type sniffing, no referrer for other sites
    (``same-origin``: with ``no-referrer`` a browser sends ``Origin: null`` on the app's own
    forms, which the Origin check refuses), and a content security policy the app's own pages
    satisfy."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        policy = POLICIES.get(scope["path"], APP_POLICY)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["Content-Security-Policy"] = policy
                headers["X-Frame-Options"] = "DENY"
                headers["X-Content-Type-Options"] = "nosniff"
                headers["Referrer-Policy"] = "same-origin"
            await send(message)

        await self.app(scope, receive, send_with_headers)


async def _error(request: Request, exc: Exception) -> Response:
    """Every error is one sentence; an unexpected one is logged once, never shown as a
    traceback."""
    if isinstance(exc, HTTPException):
        status, detail = exc.status_code, exc.detail
    elif is_damaged_database(exc):  # damaged since the server started
        log.error("%s %s: the library's database is damaged: %s", request.method,
                  request.url.path, exc)  # fmt: skip
        status, detail = 500, str(damaged_database(request.app.state.site.library / DATABASE_FILE,
                                                   exc))  # fmt: skip
    else:
        log.error("%s %s failed", request.method, request.url.path, exc_info=exc)
        status, detail = 500, "something went wrong; the server's log says what"
    return PlainTextResponse(f"{status}: {detail}", status_code=status)


def create_app(
    library: str | os.PathLike[str] | None = None,
    *,
    hosts: list[str] | None = None,
    max_upload_mb: int = 1024,
) -> Starlette:
    """The web app over `library`. `hosts`: the host names it answers to besides this machine's
    own (``--host``); `max_upload_mb`: the largest request it reads (an upload of photos)."""
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
        Route("/evidence", pages.evidence_page),
        Route("/find", find_page.find_form),
        Route("/find", find_page.find_upload, methods=["POST"]),
        Route("/find/accept", find_page.find_accept, methods=["POST"]),
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
        middleware=[
            Middleware(SecurityHeaders),
            Middleware(TrustedHostMiddleware, allowed_hosts=allowed),
        ],
        exception_handlers={HTTPException: _error, 500: _error},
    )
    app.state.site = Site(resolve_library_path(library), max_upload_mb * 1024 * 1024)
    return app
