"""The `facegraph` command line: a leaf over the library (nothing in facegraph imports it)."""

from .app import main

__all__ = ["main"]
