"""Clustering at archive scale: ../shared/lfw-dev, tuned on one half of its identities and
reported on the other, against plain baselines on the same encodings, in the same run.

    python bench/cluster_lfw.py [--library DIR] [--photos DIR] [--half tune|report|both]
                                [--detector auto|hog|...] [--compare OTHER_DIR]

Ingests ../shared/lfw-dev (6,250 photos of 2,924 people; 10-20 min on 2 cores) into DIR with
`--detector` (default: the product's), or reuses DIR when it already holds it. Identities are
split in two by a hash of their name: "tune" is where settings were chosen, "report" is held
out. Every face of a half's photos takes part (background faces too, as in a real archive); the
labelled face of each LFW photo is the face over its centre. Prints one Markdown table per
half: method x pairwise P/R/F x BCubed P/R/F x seconds, the product's default first, then the
ablations and baselines.

`--compare OTHER_DIR` (a library of the same photos from another detector, e.g. ``--detector
hog``) scores instead the product on each library twice: on its own labelled faces, and on the
labelled faces of the photos where both libraries found one (the same faces, so a detector that
finds harder faces is not marked down for them); then the identities that lose most pairs.
"""

from __future__ import annotations

import argparse
import sys
import time
import zlib
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from facegraph import DetectionSettings, ingest  # noqa: E402
from facegraph.faces.options import DETECTORS  # noqa: E402
from facegraph.library import Library  # noqa: E402
from facegraph.people.attach import attach_faces  # noqa: E402
from facegraph.people.clustering import cluster_faces, enforce_cannot_link  # noqa: E402
from facegraph.people.incremental import place_new_faces  # noqa: E402
from facegraph.people.metrics import bcubed_scores, pairwise_scores  # noqa: E402
from facegraph.people.params import ClusterParams  # noqa: E402
from facegraph.people.store import encodings_of  # noqa: E402

DEFAULT_PHOTOS = Path(__file__).resolve().parent.parent.parent / "shared" / "lfw-dev"


def load(library: Path) -> dict[str, np.ndarray]:
    with Library.open(library) as lib:
        table = lib.connection.sql(
            "SELECT f.face_id, f.image_id, i.path, i.width, i.height, f.box_left, f.box_top,"
            " f.box_right, f.box_bottom, f.detector_score, f.quality IS NULL AS good, f.encoding"
            " FROM faces f"
            " JOIN images i USING (image_id) WHERE NOT f.not_a_face AND NOT f.forgotten"
            " ORDER BY f.face_id"
        ).to_arrow_table()
    data = {
        name: table.column(name).to_numpy(zero_copy_only=False)
        for name in table.column_names
        if name != "encoding"
    }
    data["good"] = data["good"].astype(bool)
    data["encoding"] = encodings_of(table)
    data["identity"] = np.array([Path(p).parent.name for p in data["path"]])
    # the labelled face: the one whose box holds the photo's centre, else the nearest to it
    cx = (data["box_left"] + data["box_right"]) / 2 - data["width"] / 2
    cy = (data["box_top"] + data["box_bottom"]) / 2 - data["height"] / 2
    off_centre = np.hypot(cx, cy)
    labelled = np.zeros(len(off_centre), dtype=bool)
    order = np.lexsort((off_centre, data["image_id"]))
    first = np.r_[True, data["image_id"][order][1:] != data["image_id"][order][:-1]]
    labelled[order[first]] = True
    data["labelled"] = labelled & (off_centre < 40)
    data["size"] = (data["box_right"] - data["box_left"]).astype(np.float32)
    return data


def half_of(identity: str) -> int:
    return zlib.crc32(identity.encode()) % 2


def product(enc, images, good=None, *, params: ClusterParams, late_pass: bool = True) -> np.ndarray:
    """What `facegraph cluster --full` does on a fresh library, in arrays: faces good enough
    (`good`) are clustered; the late pass lets the others join a person unambiguously."""
    good = np.ones(len(enc), dtype=bool) if good is None else good
    labels = np.full(len(enc), -1, dtype=np.int64)
    labels[good] = cluster_faces(enc[good], images[good], params)
    if not late_pass:
        return labels
    free = labels < 0
    labels[free] = attach_faces(
        enc[~free], labels[~free], images[~free], enc[free], images[free],
        params.threshold + params.attach_slack, nearest=params.attach_nearest,
        ratio=params.attach_ratio,
    )  # fmt: skip
    return labels


def previous_default(enc, images, good=None) -> np.ndarray:
    """The default before this protocol: average linkage at 0.51; faces left alone joined the
    person whose 8 nearest faces lay within 0.53 on average, the rest clustered again."""
    params = ClusterParams(
        method="ahc", threshold=0.51, attach_ratio=1.0, min_faces=2, neighbours=30
    )
    labels = product(enc, images, params=params)
    rest = np.flatnonzero(labels < 0)
    more = cluster_faces(enc[rest], images[rest], params)
    labels[rest[more >= 0]] = more[more >= 0] + labels.max() + 1
    return labels


def incremental(enc, images, good=None, *, params: ClusterParams, chunks: int = 5):
    """What `facegraph cluster` (without --full) gives after each of `chunks` ingests."""
    good = np.ones(len(enc), dtype=bool) if good is None else good
    photos = np.unique(images)
    chunk_of = dict(
        zip(photos.tolist(), (np.arange(len(photos)) * chunks // len(photos)).tolist(), strict=True)
    )
    chunk = np.array([chunk_of[int(i)] for i in images])
    labels = np.full(len(enc), -1, dtype=np.int64)
    for c in range(chunks):
        sizes = np.bincount(labels[labels >= 0], minlength=max(labels.max(initial=-1) + 1, 1))
        known = np.flatnonzero(labels >= 0)
        provisional = sizes[labels[known]] == 1
        pending = np.flatnonzero((chunk <= c) & (labels < 0) & good)
        placed = place_new_faces(
            enc[known], labels[known], images[known], enc[pending], images[pending], params,
            provisional=provisional,
        )  # fmt: skip
        rows = np.concatenate([pending, known[placed.again]])
        labels[rows] = np.where(placed.joins >= 0, placed.joins, labels[rows])
        fresh = placed.groups >= 0
        labels[rows[fresh]] = placed.groups[fresh] + labels.max(initial=-1) + 1
        poor = np.flatnonzero((chunk <= c) & (labels < 0) & ~good)
        placed = labels >= 0
        labels[poor] = attach_faces(
            enc[placed], labels[placed], images[placed], enc[poor], images[poor],
            params.threshold + params.attach_slack, nearest=params.attach_nearest,
            ratio=params.attach_ratio,
        )  # fmt: skip
    return labels


def all_pairs_ahc(enc, images, good=None, *, threshold: float) -> np.ndarray:
    from sklearn.cluster import AgglomerativeClustering

    model = AgglomerativeClustering(
        n_clusters=None, distance_threshold=threshold, linkage="average"
    )
    return enforce_cannot_link(enc, model.fit_predict(enc).astype(np.int64), images)


def hdbscan(enc, images, good=None) -> np.ndarray:
    from sklearn.cluster import HDBSCAN

    labels = HDBSCAN(min_cluster_size=2, min_samples=1, copy=True).fit_predict(enc)
    return enforce_cannot_link(enc, labels.astype(np.int64), images)


def methods(default: ClusterParams) -> dict:
    from dataclasses import replace
    from functools import partial

    alone = partial(product, late_pass=False)
    runs = {
        f"**facegraph default** ({default.method} {default.threshold:.2f})": partial(
            product, params=default
        ),
        "previous default (ahc 0.51, joins by its 8 nearest faces < 0.53)": previous_default,
        "default, in 5 incremental runs (ingest + cluster)": partial(incremental, params=default),
        "default without the late pass": partial(alone, params=default),
        "default, min faces 2 (a face seen once stays unassigned)": partial(
            product, params=replace(default, min_faces=2)
        ),
        "default, poor faces clustered too (no quality gate)": lambda e, i, g: product(
            e, i, params=default
        ),
        "consensus member: ahc + unambiguous late pass": partial(
            product, params=replace(default, method="ahc", min_faces=2)
        ),
        "consensus member: hdbscan on the neighbour graph": partial(
            alone, params=replace(default, method="hdbscan")
        ),
        "consensus member: chinese whispers": partial(
            alone, params=replace(default, method="chinese_whispers")
        ),
    }
    for t in (0.45, 0.50, 0.55):
        runs[f"baseline: all-pairs average linkage {t:.2f}"] = partial(all_pairs_ahc, threshold=t)
    runs["baseline: HDBSCAN, all pairs (min cluster size 2)"] = hdbscan
    runs["baseline: chinese whispers 0.50"] = partial(
        alone, params=replace(default, method="chinese_whispers", threshold=0.5, min_faces=1)
    )
    return runs


def end_to_end(library: Path, face_ids: np.ndarray) -> np.ndarray:
    """Each face's person after `facegraph cluster --full` with the defaults, run on a copy of
    the whole library (both halves: a user's library holds everyone), -1 for none."""
    import shutil
    import tempfile

    from facegraph import cluster_people

    with tempfile.TemporaryDirectory() as scratch:
        copy = Path(scratch) / "library"
        shutil.copytree(library, copy, ignore=shutil.ignore_patterns("graph*"))
        cluster_people(copy, full=True)
        with Library.open(copy) as lib:
            people = dict(
                lib.connection.execute(
                    "SELECT face_id, coalesce(person_id, -1) FROM faces"
                ).fetchall()
            )
    return np.array([people[int(f)] for f in face_ids], dtype=np.int64)


def score(data, rows: np.ndarray, run) -> dict:
    enc, images, good = data["encoding"][rows], data["image_id"][rows], data["good"][rows]
    started = time.perf_counter()
    labels = np.asarray(run(enc, images, good), dtype=np.int64)
    seconds = time.perf_counter() - started
    keep = data["labelled"][rows]
    truth = data["identity"][rows][keep]
    predicted = labels[keep]
    pp, pr, pf = pairwise_scores(truth, predicted)
    bp, br, bf = bcubed_scores(truth, predicted)
    return {"pp": pp, "pr": pr, "pf": pf, "bp": bp, "br": br, "bf": bf, "s": seconds}


def compare(libraries: list[Path]) -> None:
    """The product on each library, on its own labelled faces and on those all found."""
    found = {}
    for library in libraries:
        data = load(library)
        data["product"] = end_to_end(library, data["face_id"])
        found[str(library)] = data
    everywhere = set.intersection(*(set(d["path"][d["labelled"]]) for d in found.values()))
    print("| half | library | faces | pairwise P | pairwise R | pairwise F | BCubed P |"
          " BCubed R | BCubed F |\n|---|---|---|---:|---:|---:|---:|---:|---:|")  # fmt: skip
    for half, number in (("tune", 0), ("report", 1)):
        for name, data in found.items():
            in_half = np.array([half_of(i) for i in data["identity"]]) == number
            for which, paths in (("its own", None), ("found by all", everywhere)):
                keep = in_half & data["labelled"]
                if paths is not None:
                    keep &= np.isin(data["path"], list(paths))
                truth, predicted = data["identity"][keep], data["product"][keep]
                scores = (*pairwise_scores(truth, predicted), *bcubed_scores(truth, predicted))
                print(f"| {half} | {name} | {which} ({keep.sum()}) | "
                      + " | ".join(f"{v:.3f}" for v in scores) + " |")  # fmt: skip
    for name, data in found.items():
        keep = data["labelled"] & np.isin(data["path"], list(everywhere))
        print(f"\nmost same-person pairs apart in {name}: {split_identities(data, keep)[:5]}")


def split_identities(data, keep: np.ndarray) -> list[tuple[str, int, int]]:
    """``(identity, photos, same-person pairs the product keeps apart)``, most apart first."""
    identities, people = data["identity"][keep], data["product"][keep]
    apart = []
    for identity in np.unique(identities):
        theirs = people[identities == identity]
        _, counts = np.unique(theirs[theirs != -1], return_counts=True)
        pairs = len(theirs) * (len(theirs) - 1) // 2 - int((counts * (counts - 1) // 2).sum())
        apart.append((str(identity), len(theirs), pairs))
    return sorted(apart, key=lambda row: -row[2])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--library", type=Path, default=Path("lfw-library"))
    parser.add_argument("--photos", type=Path, default=DEFAULT_PHOTOS)
    parser.add_argument("--half", choices=["tune", "report", "both"], default="both")
    parser.add_argument("--detector", choices=DETECTORS, default=DetectionSettings.detector)
    parser.add_argument("--compare", type=Path, default=None, metavar="OTHER_DIR")
    args = parser.parse_args()
    if not (args.library / "facegraph.duckdb").exists():
        ingest([args.photos], args.library, settings=DetectionSettings(detector=args.detector))
    if args.compare is not None:
        compare([args.library, args.compare])
        return
    data = load(args.library)
    data["product"] = end_to_end(args.library, data["face_id"])
    halves = {"tune": 0, "report": 1}
    for name, number in halves.items():
        if args.half not in (name, "both"):
            continue
        photo_half = np.array([half_of(i) for i in data["identity"]]) == number
        rows = np.flatnonzero(photo_half)
        labelled = data["labelled"][rows]
        print(
            f"\n### {name} half: {len(np.unique(data['identity'][rows]))} identities, "
            f"{len(np.unique(data['image_id'][rows]))} photos, {len(rows)} faces "
            f"({labelled.sum()} labelled)\n"
        )
        print(
            "| method | pairwise P | pairwise R | pairwise F | BCubed P | BCubed R | BCubed F | s |"
        )
        print("|---|---:|---:|---:|---:|---:|---:|---:|")
        runs = {
            "**`facegraph cluster --full` on the whole library** (defaults), this half scored": (
                lambda *_, rows=rows: data["product"][rows]
            ),
            **methods(ClusterParams()),
        }
        for label, run in runs.items():
            r = score(data, rows, run)
            print(
                f"| {label} | {r['pp']:.3f} | {r['pr']:.3f} | {r['pf']:.3f} | {r['bp']:.3f} |"
                f" {r['br']:.3f} | {r['bf']:.3f} | {r['s']:.1f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
