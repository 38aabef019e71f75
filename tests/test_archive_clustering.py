"""Clustering on archive-shaped data (../shared/lfw-dev): a library built by five imports, each
followed by `facegraph cluster`, ends where one `cluster --full` over everything would."""

import shutil
import zlib
from pathlib import Path

import numpy as np
import pytest
from conftest import lfw_dev_dir, query

from facegraph import cluster_people, ingest
from facegraph.people.metrics import bcubed_scores, pairwise_scores

pytestmark = [pytest.mark.slow, pytest.mark.shared]


@pytest.fixture(scope="module")
def lfw_dev() -> Path:
    return lfw_dev_dir()


def archive_sample(lfw_dev: Path) -> list[Path]:
    """About 450 photos shaped like an archive: 45 people seen 3-12 times, 150 seen once."""
    people = sorted((lfw_dev / "people").iterdir(), key=lambda p: zlib.crc32(p.name.encode()))
    often = [p for p in people if len(list(p.iterdir())) >= 3][:45]
    once = [p for p in people if len(list(p.iterdir())) == 1][:150]
    photos = [f for p in often for f in sorted(p.iterdir())[:12]]
    photos += [f for p in once for f in p.iterdir()]
    return sorted(photos, key=lambda f: zlib.crc32(f.name.encode()))


def scores(library: Path) -> tuple[float, float]:
    """Pairwise and BCubed F over each photo's labelled face (the largest: the portrait)."""
    rows = query(
        library,
        "SELECT i.path, coalesce(f.person_id, -f.face_id) FROM faces f JOIN images i"
        " USING (image_id) QUALIFY row_number() OVER (PARTITION BY f.image_id"
        " ORDER BY (f.box_right - f.box_left) DESC) = 1",
    )
    truth = np.array([Path(path).parent.name for path, _ in rows])
    predicted = np.array([person for _, person in rows])
    predicted = np.unique(predicted, return_inverse=True)[1]  # a face alone: a person alone
    return pairwise_scores(truth, predicted)[2], bcubed_scores(truth, predicted)[2]


def test_five_imports_each_clustered_end_near_one_full_run(lfw_dev, tmp_path):
    photos = archive_sample(lfw_dev)
    library = tmp_path / "library"
    for chunk in np.array_split(np.array(photos, dtype=object), 5):
        ingest([str(p) for p in chunk], library)
        assert cluster_people(library).mode in ("full", "incremental")
    full = tmp_path / "full"
    shutil.copytree(library, full)
    cluster_people(full, full=True)
    step_by_step, at_once = scores(library), scores(full)
    # on all of lfw-dev the gap is 0.003 or less (bench/cluster_lfw.py); a sample of 450 photos
    # moves by a few pairs more
    assert at_once[0] >= 0.9 and at_once[1] >= 0.9
    assert abs(step_by_step[0] - at_once[0]) <= 0.02
    assert abs(step_by_step[1] - at_once[1]) <= 0.02
