"""Turns at the library inside the server: pages read together, a change waits for them and
goes alone, and a waiting change goes before new readers (so lazy images cannot starve it).

DuckDB lets one process hold a database file either read-only or read-write, never both; the
library opens it per request, so without these turns a change arriving while images load would
find the file open the other way. Other processes (a `facegraph ingest` in a terminal) take turns
through the library's own file locks.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager


class Turns:
    def __init__(self) -> None:
        self._state = threading.Condition()
        self._readers = 0
        self._writing = False
        self._waiting_writers = 0

    @contextmanager
    def reading(self) -> Iterator[None]:
        with self._state:
            self._state.wait_for(lambda: not self._writing and not self._waiting_writers)
            self._readers += 1
        try:
            yield
        finally:
            with self._state:
                self._readers -= 1
                self._state.notify_all()

    @contextmanager
    def writing(self) -> Iterator[None]:
        with self._state:
            self._waiting_writers += 1
            self._state.wait_for(lambda: not self._writing and self._readers == 0)
            self._waiting_writers -= 1
            self._writing = True
        try:
            yield
        finally:
            with self._state:
                self._writing = False
                self._state.notify_all()
