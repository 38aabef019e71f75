"""What every request of the app shares: the `Site` (library, CSRF token, templates, jobs,
turns at the library), the checks a state-changing form passes, and the way back after it."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import jinja2
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.templating import Jinja2Templates

from .access import Turns
from .jobs import Jobs

HERE = Path(__file__).parent


class Site:
    """What every request needs: the library, the token, the templates, the running jobs."""

    def __init__(self, library: Path, max_request_bytes: int = 1024 * 1024 * 1024) -> None:
        self.library = library
        self.max_request_bytes = max_request_bytes
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


#: a form field that is not a file (a name, a folder): larger ones are refused
MAX_FIELD_BYTES = 64 * 1024


def _check_size(request: Request, limit: int) -> None:
    """Refuse, before reading it, a request body larger than `limit` or of unknown size."""
    length = request.headers.get("content-length")
    if length is None:
        if request.headers.get("transfer-encoding"):
            raise HTTPException(411, "send the form with its length (Content-Length)")
        return
    if not length.isdigit():
        raise HTTPException(400, "the request's length is not a number")
    if int(length) > limit:
        raise HTTPException(
            413,
            f"this request is {int(length) / 1048576:.0f} MB; the app takes at most"
            f" {limit / 1048576:.0f} MB at once (facegraph serve --max-upload-mb)",
        )


async def checked_form(request: Request) -> dict[str, Any]:
    """The form of a state-changing request, once it has passed the CSRF and Origin checks."""
    origin = request.headers.get("origin")
    host = request.headers.get("host", "")
    if origin is not None and urlsplit(origin).netloc != host:
        raise HTTPException(403, "this request came from another site")
    if request.headers.get("sec-fetch-site") == "cross-site":
        raise HTTPException(403, "this request came from another site")
    _check_size(request, site(request).max_request_bytes)
    form = await request.form(max_part_size=MAX_FIELD_BYTES)
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
