"""`facegraph serve`: the review app."""

from __future__ import annotations

import sys

import click

from ..library import resolve_library_path
from .options import json_option, library_option, print_json, user_errors


@click.command("serve")
@library_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(1, 65535), default=8765, show_default=True)
@click.option("--open", "open_browser", is_flag=True, help="Open the app in a browser.")
@click.option(
    "--max-upload-mb",
    type=click.IntRange(1),
    default=1024,
    show_default=True,
    envvar="FACEGRAPH_MAX_UPLOAD_MB",
    help="The most photos uploaded at once, in MB [env: FACEGRAPH_MAX_UPLOAD_MB].",
)
@json_option
@user_errors
def serve_command(library, host, port, open_browser, max_upload_mb, as_json) -> None:
    """Start the local app to see, check and correct who is who; prints its address.

    Pages: / (the library: add photos, cluster), /people, /people/ID, /review (suggestions,
    one key each), /network. Every change is an edit `facegraph people log` lists and undo
    takes back. Stop it with Ctrl-C.

    Example:

        facegraph serve --library ~/faces --open
    """
    from ..web.server import LOOPBACK, serve

    if host not in LOOPBACK:
        click.echo(
            f"warning: listening on {host}: anyone who can reach it can see and change this"
            " library (faces are biometric data)",
            err=True,
        )

    def ready(url: str) -> None:  # the address, once it answers (--json: for scripts)
        if as_json:
            print_json({"url": url, "library": str(resolve_library_path(library))})
        else:
            click.echo(url)
        sys.stdout.flush()  # a script reading the address must not wait for a buffer to fill

    serve(
        library,
        host=host,
        port=port,
        open_browser=open_browser,
        on_ready=ready,
        max_upload_mb=max_upload_mb,
    )
