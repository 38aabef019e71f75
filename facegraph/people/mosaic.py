"""One image per person tiling their face crops, as the old tool's cluster mosaics."""

from __future__ import annotations

import io
import math
import os
from pathlib import Path

from PIL import Image

from ..artefacts import record_written
from ..library import Library
from . import read_store as rs
from . import store as ps


def make_mosaics(
    library: str | os.PathLike[str] | None,
    out_dir: str | os.PathLike[str],
    person_ids: list[int] | None = None,
    tile: int = 96,
    max_faces: int = 100,
) -> list[Path]:
    """Write ``person_<id>.jpg`` for each person (all visible people when none are given)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    with Library.open(library) as lib:
        con = lib.connection
        if not person_ids:
            person_ids = [p["person_id"] for p in rs.people_summary(con)]
        for person_id in person_ids:
            face_ids = [f["face_id"] for f in rs.person_faces(con, person_id)][:max_faces]
            crops = ps.crops(con, face_ids)
            if not crops:
                continue
            columns = math.ceil(math.sqrt(len(crops)))
            rows = math.ceil(len(crops) / columns)
            sheet = Image.new("RGB", (columns * tile, rows * tile), (255, 255, 255))
            for index, data in enumerate(crops):
                face = Image.open(io.BytesIO(data)).convert("RGB")
                face.thumbnail((tile, tile))
                x = (index % columns) * tile + (tile - face.width) // 2
                y = (index // columns) * tile + (tile - face.height) // 2
                sheet.paste(face, (x, y))
            path = out / f"person_{person_id}.jpg"
            sheet.save(path, quality=88)
            written.append(path)
        record_written(lib.path, written)
    return written
