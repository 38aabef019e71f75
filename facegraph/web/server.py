"""Run the app on this machine."""

from __future__ import annotations

import os
import threading
import webbrowser
from collections.abc import Callable

LOOPBACK = ("127.0.0.1", "localhost", "::1")
#: the largest request the app takes (photos uploaded at once), in MB
DEFAULT_MAX_UPLOAD_MB = 1024


def serve(
    library: str | os.PathLike[str] | None = None,
    *,
    host: str = "127.0.0.1",
    port: int = 8765,
    open_browser: bool = False,
    on_ready: Callable[[str], None] | None = None,
    max_upload_mb: int = DEFAULT_MAX_UPLOAD_MB,
) -> None:
    """Serve the app until interrupted. `on_ready` gets its address once it listens. Anyone
    who can reach `host` can see and change the library: the default is this machine only.
    A request (an upload of photos) larger than `max_upload_mb` is refused."""
    import uvicorn

    from ..library import Library, verify_database
    from .app import create_app

    # a missing or damaged library (anywhere in its file): one line, before listening
    with Library.open(library) as lib:
        verify_database(lib)
    app = create_app(library, hosts=[host], max_upload_mb=max_upload_mb)
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{port}/"
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False)
    server = uvicorn.Server(config)

    def announce() -> None:
        while not server.started and not server.should_exit:
            threading.Event().wait(0.05)
        if server.started:
            if on_ready:
                on_ready(url)
            if open_browser:
                webbrowser.open(url)

    threading.Thread(target=announce, daemon=True).start()
    server.run()
