"""Fit the table that turns a face distance into a confidence, and measure how well it holds.

    python bench/calibrate.py [--library DIR] [--write]

Uses a library holding ../shared/lfw-dev (ingested into DIR if it is not there yet; see
bench/cluster_lfw.py). Pairs are made of each photo's labelled face (the one over its centre):
the pairs a search meets (a face of a person against every other face of the library: mostly
strangers), so that a confidence says how often a *match found by a search* is right, not how
often a pair on even odds is. Queries are faces of the "tune" half of the identities (at most
`QUERIES_PER_IDENTITY` each, so that the few people photographed hundreds of times do not make
the whole fit); the table is fitted by isotonic regression; its reliability is measured on the
held-out half's searches, per decile of confidence, beside the rule users have today:
face_recognition's "one person below 0.6". `--write` saves the table to
facegraph/find/confidence.csv with those figures in its header.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from sklearn.isotonic import IsotonicRegression

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from cluster_lfw import DEFAULT_PHOTOS, half_of, load  # noqa: E402

from facegraph import DetectionSettings, ingest  # noqa: E402

TABLE = Path(__file__).resolve().parent.parent / "facegraph" / "find" / "confidence.csv"
QUERIES_PER_IDENTITY = 5
#: pairs farther apart than this are counted, not fitted
FAR = 0.8
GRID = np.round(np.arange(0.0, 1.3001, 0.01), 2)
SEED = 20261202


def search_pairs(data: dict, queries_from: np.ndarray, rng) -> tuple[np.ndarray, np.ndarray, int]:
    """``(distances, same, far)`` of the pairs a search meets: each query (a labelled face of a
    person with two photos or more, at most `QUERIES_PER_IDENTITY` of them) against every
    labelled face of another photo in the library. Pairs farther than `FAR` are only counted
    (`far`): none of them is one person often enough to matter."""
    labelled = np.flatnonzero(data["labelled"])
    encodings = data["encoding"][labelled]
    identities, images = data["identity"][labelled], data["image_id"][labelled]
    queries = []
    for identity in np.unique(identities[queries_from[labelled]]):
        rows = np.flatnonzero(identities == identity)
        if len(rows) >= 2:
            queries.extend(rng.permutation(rows)[:QUERIES_PER_IDENTITY])
    distances, same, far = [], [], 0
    norms = np.einsum("ij,ij->i", encodings, encodings)
    for start in range(0, len(queries), 256):
        rows = np.array(queries[start : start + 256])
        block = norms[rows, None] + norms[None, :] - 2 * encodings[rows] @ encodings.T
        block = np.sqrt(np.maximum(block, 0))
        other_photo = images[rows, None] != images[None, :]
        near = other_photo & (block <= FAR)
        far += int((other_photo & ~near).sum())
        distances.append(block[near])
        same.append((identities[rows, None] == identities[None, :])[near])
    return np.concatenate(distances), np.concatenate(same).astype(float), far


def reliability(predicted: np.ndarray, same: np.ndarray) -> list[tuple]:
    """Per decile of predicted confidence: (low, high, pairs, mean predicted, share right).

    "Right" is the pair being one person; for the deciles below 0.5 read it as the share of
    one-person pairs among those called probably different."""
    rows = []
    for low in np.arange(0, 1, 0.1):
        high = low + 0.1
        inside = (predicted >= low) & ((predicted < high) | (high >= 1))
        if inside.any():
            rows.append(
                (low, high, int(inside.sum()), predicted[inside].mean(), same[inside].mean())
            )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--library", type=Path, default=Path("lfw-library"))
    parser.add_argument("--photos", type=Path, default=DEFAULT_PHOTOS)
    parser.add_argument("--write", action="store_true", help="save facegraph/find/confidence.csv")
    args = parser.parse_args()
    if not (args.library / "facegraph.duckdb").exists():
        ingest([args.photos / "people"], args.library, settings=DetectionSettings(), progress=True)
    data = load(args.library)
    halves = np.array([half_of(i) for i in data["identity"]])
    rng = np.random.default_rng(SEED)
    fit_d, fit_same, fit_far = search_pairs(data, halves == 0, rng)
    test_d, test_same, test_far = search_pairs(data, halves == 1, rng)
    model = IsotonicRegression(increasing=False, y_min=0.0, y_max=0.999, out_of_bounds="clip")
    model.fit(fit_d, fit_same)
    table = np.where(GRID <= FAR, model.predict(GRID), 0.0)
    predicted = np.interp(test_d, GRID, table)
    faces = int(data["labelled"].sum())
    lines = [
        f"# fitted by bench/calibrate.py on the pairs met by searches of lfw-dev ({faces}"
        " labelled faces)",
        f"# for faces of its tune half: {len(fit_d)} pairs nearer than {FAR}"
        f" ({int(fit_same.sum())} one person), {fit_far} farther;",
        f"# checked on the held-out half's searches ({len(test_d)} pairs nearer than {FAR}):",
        "# confidence | pairs | mean confidence | share one person",
    ]
    for low, high, count, mean, right in reliability(predicted, test_same):
        lines.append(f"# {low:.1f}-{high:.1f} | {count} | {mean:.3f} | {right:.3f}")
    rules = (("confidence >= 0.5", predicted >= 0.5), ("distance <= 0.6", test_d <= 0.6))
    for name, called in rules:
        right = test_same[called].mean() if called.any() else float("nan")
        found = test_same[called].sum() / test_same.sum()
        lines.append(f"# held out, calling a match at {name}: {right:.3f} right, {found:.3f} found")
    for line in lines:
        print(line.removeprefix("# "))
    for target in (0.5, 0.9, 0.95, 0.99):
        passing = GRID[table >= target]
        print(f"confidence {target}: distance <= {passing.max() if len(passing) else 'none'}")
    if args.write:
        body = "".join(f"{d:.2f},{c:.4f}\n" for d, c in zip(GRID, table, strict=True))
        TABLE.write_text("\n".join(lines) + "\ndistance,confidence\n" + body, "utf-8")
        print(f"wrote {TABLE}")


if __name__ == "__main__":
    main()
