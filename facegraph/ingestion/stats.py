"""Library-wide reads: counts for `facegraph stats`, failed photos, where photos are."""

from __future__ import annotations

import os

from ..library import Library
from . import store


def stats(library: str | os.PathLike[str] | None = None) -> dict:
    """``{"images", "faces", "regions", "errors", "by_status", "missing", "library"}`` for a
    library."""
    with Library.open(library) as lib:
        result = store.library_stats(lib.connection)
        result["library"] = str(lib.path)
    return result


def errors(library: str | os.PathLike[str] | None = None) -> list[tuple[str, str]]:
    """``(path, reason)`` for every photo that could not be used."""
    with Library.open(library) as lib:
        return store.image_errors(lib.connection)


def photo_files(library: str | os.PathLike[str] | None, image_ids: list[int]) -> dict[int, str]:
    """Where each of these photos is on disk (photos no longer found are left out)."""
    with Library.open(library) as lib:
        return store.photo_files(lib.connection, image_ids)


def photo(library: str | os.PathLike[str] | None, image_id: int) -> dict | None:
    """A photo with its faces (box, person, name), or None when the library has no such photo."""
    with Library.open(library) as lib:
        return store.photo_with_faces(lib.connection, image_id)


def picture_addresses(
    library: str | os.PathLike[str] | None, image_ids: list[int]
) -> dict[int, str]:
    """What to show of each photo, or shot of a video (`pictures.open_picture`)."""
    with Library.open(library) as lib:
        return store.picture_addresses(lib.connection, image_ids)
