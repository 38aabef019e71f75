"""`facegraph evaluate`: how well the library's people match a file of known identities."""

from __future__ import annotations

import csv
import math
import os
from pathlib import Path

import numpy as np

from ..errors import EvaluationError
from ..library import Library
from . import region_store
from . import store as ps
from .clustering import cluster_faces
from .metrics import evaluate_labels
from .params import ClusterParams


def read_truth(truth_csv: str | os.PathLike[str]) -> list[tuple[str, str, tuple | None]]:
    """``(absolute path, identity, box or None)`` per labelled row of a ``path,identity`` CSV.

    Paths may be relative to the CSV's folder; optional ``left,top,right,bottom`` columns name
    one face of a multi-face photo. Rows with an empty identity are skipped.
    """
    truth_csv = Path(truth_csv)
    with open(truth_csv, newline="") as handle:
        reader = csv.DictReader(handle)
        if not reader.fieldnames or not {"path", "identity"} <= set(reader.fieldnames):
            raise EvaluationError(f"{truth_csv}: needs the columns path,identity")
        rows = []
        for row in reader:
            if not (row.get("identity") or "").strip():
                continue
            path = Path(row["path"])
            path = path if path.is_absolute() else truth_csv.parent / path
            box = None
            if all((row.get(k) or "").strip() for k in ("left", "top", "right", "bottom")):
                box = tuple(int(float(row[k])) for k in ("left", "top", "right", "bottom"))
            rows.append((os.path.abspath(path), row["identity"].strip(), box))
    return rows


def _iou(a, b) -> float:
    left, top = max(a[0], b[0]), max(a[1], b[1])
    right, bottom = min(a[2], b[2]), min(a[3], b[3])
    inter = max(0, right - left) * max(0, bottom - top)
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union else 0.0


def main_face(faces: list[tuple[int, tuple]], width: int, height: int) -> int | None:
    """The face a photo labelled with one identity is of: of its faces at least half as wide
    as the widest, the one nearest the photo's centre (a portrait's subject, not the larger
    half face of someone cut by the photo's edge beside them). `faces` are ``(face_id, box)``."""
    if not faces:
        return None
    widest = max(box[2] - box[0] for _, box in faces)
    near = [(face_id, box) for face_id, box in faces if 2 * (box[2] - box[0]) >= widest]

    def off_centre(item: tuple[int, tuple]) -> float:
        box = item[1]
        return math.hypot((box[0] + box[2] - width) / 2, (box[1] + box[3] - height) / 2)

    return min(near, key=off_centre)[0]


def labelled_faces(
    con, truth: list[tuple[str, str, tuple | None]]
) -> tuple[list[int], list[str], int]:
    """Face IDs and identities for the truth rows; also how many rows found no face."""
    rows = ps.face_boxes(con)
    by_path: dict[str, list] = {}
    sizes: dict[str, tuple[int, int]] = {}
    for path, width, height, face_id, *box in rows:
        by_path.setdefault(path, []).append((face_id, tuple(box)))
        sizes[path] = (width or 0, height or 0)
    face_ids, identities, missing = [], [], 0
    for path, identity, box in truth:
        candidates = by_path.get(path, [])
        if box is not None:
            scored = [(_iou(box, b), f) for f, b in candidates]
            best = max(scored, default=(0.0, None))
            face = best[1] if best[0] >= 0.3 else None
        else:
            face = main_face(candidates, *sizes.get(path, (0, 0)))
        if face is None:
            missing += 1
            continue
        face_ids.append(face)
        identities.append(identity)
    return face_ids, identities, missing


def evaluate(library: str | os.PathLike[str] | None, truth_csv: str | os.PathLike[str]) -> dict:
    """Pairwise and BCubed precision/recall/F, NMI, people per identity, unassigned share."""
    truth = read_truth(truth_csv)
    with Library.open(library) as lib:
        con = lib.connection
        face_ids, identities, missing = labelled_faces(con, truth)
        scores = _scores(con, face_ids, identities)
    scores["truth_rows"] = len(truth)
    scores["rows_without_face"] = missing
    return scores


def _scores(con, face_ids: list[int], identities: list[str]) -> dict:
    people = ps.people_of_faces(con, face_ids)
    predicted = np.array([people[f] for f in face_ids], dtype=np.int64)
    return evaluate_labels(np.array(identities), predicted)


def evaluate_from_regions(
    library: str | os.PathLike[str] | None, params: ClusterParams | None = None
) -> dict:
    """`evaluate` with the names of the photos' XMP face regions as the identities: how well
    the library's people match the naming work already in an archive's files.

    Named faces are fixed labels for clustering, so the library's own people match them by
    construction wherever the names were applied. ``blind`` scores what clustering alone
    does on this archive: every face clustered again in memory (`params`, the defaults if
    None) with no name known, compared with the names. The library is not changed."""
    with Library.open(library) as lib:
        con = lib.connection
        named = region_store.named_faces(con)
        if not named:
            raise EvaluationError("no face in this library is named in its photo's metadata")
        face_ids = [face_id for face_id, _ in named]
        identities = [name.strip().casefold() for _, name in named]
        scores = _scores(con, face_ids, identities)
        faces = ps.clusterable_faces(con)
    labels = np.full(len(faces), -1, dtype=np.int64)
    labels[faces.good] = cluster_faces(
        faces.encodings[faces.good], faces.image_ids[faces.good], params
    )
    label_of = dict(zip(faces.face_ids.tolist(), labels.tolist(), strict=True))
    known = [i for i, face_id in enumerate(face_ids) if face_id in label_of]
    blind = evaluate_labels(
        np.array([identities[i] for i in known]),
        np.array([label_of[face_ids[i]] for i in known], dtype=np.int64),
    )
    scores["truth_rows"] = len(named)
    scores["rows_without_face"] = 0
    scores["blind"] = blind
    return scores
