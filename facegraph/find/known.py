"""Folders of known people: ``KNOWN_DIR/<Name>.jpg`` (as `face_recognition`'s command line reads
them) and ``KNOWN_DIR/<Name>/*.jpg`` (several photos of one person)."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import KnownFolderError

#: the files `face_recognition`'s command line reads (its pattern, anchored at the end)
IMAGE_NAME = re.compile(r".*\.(jpg|jpeg|png)", re.IGNORECASE)


@dataclass(frozen=True)
class KnownPhoto:
    name: str
    path: str


def image_files(folder: str | os.PathLike[str]) -> list[str]:
    """The photos directly inside `folder`, by name (as `face_recognition`'s CLI finds them)."""
    folder = os.fspath(folder)
    return [
        os.path.join(folder, entry)
        for entry in sorted(os.listdir(folder))
        if IMAGE_NAME.fullmatch(entry) and os.path.isfile(os.path.join(folder, entry))
    ]


def known_photos(folder: str | os.PathLike[str]) -> list[KnownPhoto]:
    """Every reference photo in a known-people folder with the name it gives, sorted by name."""
    root = Path(folder)
    if not root.is_dir():
        raise KnownFolderError(f"{root}: not a folder of known people (KNOWN_DIR/<Name>.jpg)")
    found = [KnownPhoto(Path(p).stem, p) for p in image_files(root)]
    for entry in sorted(root.iterdir()):
        if entry.is_dir() and not entry.name.startswith("."):
            found.extend(KnownPhoto(entry.name, p) for p in image_files(entry))
    return sorted(found, key=lambda k: (k.name.casefold(), k.path))
