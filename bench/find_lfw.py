"""How well `facegraph find` finds people in an archive: ../shared/lfw-dev, the protocol of
issue 21. One reference photo per identity with two photos or more (its first photo), searched
for in a library holding all of lfw-dev; recall of that identity's other labelled faces and
precision of the labelled faces found, over all searches, per minimum confidence.

    python bench/find_lfw.py [--library DIR]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from cluster_lfw import DEFAULT_PHOTOS, load  # noqa: E402

from facegraph import DetectionSettings, find_faces, ingest  # noqa: E402

THRESHOLDS = (0.5, 0.7, 0.9)


def references(library: Path) -> list[tuple[str, int, str]]:
    """``(identity, face_id, path)``: the labelled face of each identity's first photo."""
    data = load(library)
    found = []
    for identity in np.unique(data["identity"][data["labelled"]]):
        rows = np.flatnonzero(data["labelled"] & (data["identity"] == identity))
        if len(rows) >= 2:
            first = rows[np.argmin(data["path"][rows])]
            found.append((identity, int(data["face_id"][first]), str(data["path"][first])))
    return found


def score(library: Path, refs: list, thresholds=THRESHOLDS) -> dict[float, tuple[float, float]]:
    """``{min_confidence: (recall, precision)}`` over the searches from `refs`."""
    data = load(library)
    labelled = data["labelled"]
    identity_of = dict(
        zip(data["face_id"][labelled].tolist(), data["identity"][labelled], strict=True)
    )
    photo_of = dict(zip(data["face_id"].tolist(), data["path"], strict=True))
    wanted_total = 0
    found = {t: [0, 0] for t in thresholds}  # right, wrong
    for identity, face_id, path in refs:
        wanted = {f for f, i in identity_of.items() if i == identity and photo_of[f] != path}
        wanted_total += len(wanted)
        result = find_faces(library, face_ids=[face_id], min_confidence=min(thresholds))
        for match in result.matches:
            if match.path == path or match.face_id not in identity_of:
                continue  # the reference's own photo; a background face (identity unknown)
            for t in thresholds:
                if match.confidence >= t:
                    found[t][0 if match.face_id in wanted else 1] += 1
    return {
        t: (right / wanted_total, right / max(1, right + wrong))
        for t, (right, wrong) in found.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--library", type=Path, default=Path("lfw-library"))
    args = parser.parse_args()
    if not (args.library / "facegraph.duckdb").exists():
        ingest([DEFAULT_PHOTOS / "people"], args.library, settings=DetectionSettings())
    refs = references(args.library)
    print(f"{len(refs)} searches, one reference photo per identity with 2+ photos")
    print("| min confidence | recall | precision |\n|---|---:|---:|")
    for t, (recall, precision) in score(args.library, refs).items():
        print(f"| {t} | {recall:.3f} | {precision:.3f} |")


if __name__ == "__main__":
    main()
