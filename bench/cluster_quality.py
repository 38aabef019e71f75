"""Clustering quality on ../shared/faces: every method x threshold, as a Markdown table.

    python bench/cluster_quality.py [--library DIR]

Ingests ../shared/faces (or $FACEGRAPH_SHARED_FACES) into DIR (a temporary library unless
given), clusters all faces, people and group photos alike, with each method, and scores the
labelled portraits (MANIFEST.csv identities) as `facegraph evaluate` does. "sisters apart" says
whether no person holds faces of both Serena and Venus Williams. Each row is what
`facegraph cluster --full --method M --threshold T` gives a user.

    python bench/cluster_quality.py --lfw-dev [--lfw-library DIR]

runs the archive-scale protocol instead (`bench/cluster_lfw.py`: ../shared/lfw-dev, tuned on one
half of its identities, reported on the other).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from facegraph import ingest  # noqa: E402
from facegraph.people.evaluate import evaluate  # noqa: E402
from facegraph.people.params import ClusterParams  # noqa: E402
from facegraph.people.runs import cluster_people as cluster  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ingest import default_photo_dir  # noqa: E402

SISTERS = ["serena_williams", "venus_williams"]
GRID = {
    "consensus": [0.45, 0.48, 0.50, 0.52, 0.55],
    "chinese_whispers": [0.40, 0.45, 0.50, 0.55, 0.60],
    "dbscan": [0.40, 0.45, 0.50, 0.55],
    "ahc": [0.40, 0.45, 0.50, 0.55, 0.60],
    "optics": [0.45, 0.50, 0.55],
    "hdbscan": [0.50],
}


def score_all(library: Path, photos: Path, scratch: Path) -> list[dict]:
    """Run `facegraph cluster --full` with each setting on a copy of the library, then score it."""
    results = []
    for method, thresholds in GRID.items():
        for threshold in thresholds:
            trial = scratch / f"{method}-{threshold}"
            shutil.copytree(library, trial)
            params = ClusterParams(method=method, threshold=threshold, max_distance=threshold)
            report = cluster(trial, params, full=True)
            scores = evaluate(trial, photos / "MANIFEST.csv")
            scores.update(
                method=method,
                threshold=threshold,
                seconds=report.seconds,
                sisters_apart=SISTERS not in scores["merged_identities"],
            )
            results.append(scores)
            shutil.rmtree(trial)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--library", type=Path)
    parser.add_argument("--photos", type=Path, default=default_photo_dir())
    parser.add_argument("--lfw-dev", action="store_true", help="run bench/cluster_lfw.py")
    parser.add_argument("--lfw-library", default="lfw-library")
    args = parser.parse_args()
    if args.lfw_dev:
        import cluster_lfw

        sys.argv = [cluster_lfw.__file__, "--library", args.lfw_library]
        cluster_lfw.main()
        return
    with tempfile.TemporaryDirectory() as scratch:
        library = args.library or Path(scratch) / "library"
        if not args.library:
            ingest([args.photos], library, progress=False)
        results = score_all(library, args.photos, Path(scratch))
    print(
        "| method | threshold | BCubed F | BCubed P | BCubed R | pairwise F | NMI |"
        " people/identity | unassigned | sisters apart |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for r in results:
        print(
            f"| {r['method']} | {r['threshold']:.2f} | {r['bcubed_f']:.3f} | "
            f"{r['bcubed_precision']:.3f} | {r['bcubed_recall']:.3f} | {r['pairwise_f']:.3f} | "
            f"{r['nmi']:.3f} | {r['people_per_identity']:.2f} | {r['unassigned_share']:.1%} | "
            f"{'yes' if r['sisters_apart'] else 'no'} |"
        )


if __name__ == "__main__":
    main()
