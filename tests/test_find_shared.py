"""Known people and identify on ../shared/faces, and find's accuracy and calibration on
../shared/lfw-dev (the figures in docs/how-to/find-a-person.md come from bench/calibrate.py and
bench/find_lfw.py)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import REPO, lfw_dev_dir, query

from facegraph import cluster_people, find_faces, import_known_people, ingest
from facegraph.cli import main

sys.path.insert(0, str(REPO / "bench"))

#: identities left out of the known folder: their faces must stay unnamed
STRANGERS = ("jeff_bezos", "kofi_annan", "serena_williams")


def identities(shared_faces: Path) -> list[Path]:
    return sorted(p for p in (shared_faces / "people").iterdir() if p.is_dir())


def known_folder(shared_faces: Path, target: Path, flat: bool) -> Path:
    """One photo of each known identity: ``<Name>.jpg`` (face_recognition's layout) or
    ``<Name>/1.jpg``."""
    target.mkdir()
    for person in identities(shared_faces):
        if person.name in STRANGERS:
            continue
        first = sorted(person.iterdir())[0]
        if flat:
            shutil.copy(first, target / f"{person.name}{first.suffix}")
        else:
            (target / person.name).mkdir()
            shutil.copy(first, target / person.name / first.name)
    return target


def test_identify_prints_what_face_recognition_prints(shared_faces, tmp_path):
    known = known_folder(shared_faces, tmp_path / "known", flat=True)
    unknown = tmp_path / "unknown"
    unknown.mkdir()
    for person in identities(shared_faces)[::2]:
        for second in sorted(person.iterdir())[1:2]:
            shutil.copy(second, unknown / f"{person.name}-{second.name}")
    # the smallest group photos: face_recognition's HOG at full size is slow on large ones
    for group in sorted((shared_faces / "groups").iterdir(), key=lambda p: p.stat().st_size)[:4]:
        shutil.copy(group, unknown / group.name)
    theirs = subprocess.run(
        [shutil.which("face_recognition") or "face_recognition", str(known), str(unknown)],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    ).stdout
    ours = CliRunner().invoke(main, ["identify", str(known), str(unknown)])
    assert ours.exit_code == 0, ours.output
    assert sorted(ours.output.splitlines()) == sorted(theirs.splitlines())
    names = {line.rsplit(",", 1)[1] for line in theirs.splitlines()}
    assert {"unknown_person"} < names and len(names) > 5  # the comparison says something
    parallel = CliRunner().invoke(main, ["identify", str(known), str(unknown), "--cpus", "2"])
    assert parallel.output == ours.output  # the same lines in the same order
    with_distance = CliRunner().invoke(
        main,
        ["identify", str(known), str(unknown), "--show-distance", "true", "--tolerance", "0.5"],
    )
    for line in with_distance.output.splitlines():
        path, name, distance = line.rsplit(",", 2)
        assert (
            distance == "None"
            if name in ("unknown_person", "no_persons_found")
            else (float(distance) <= 0.5)
        )


def test_known_people_name_their_other_photos_and_a_second_import_changes_nothing(
    shared_faces, tmp_path
):
    known = known_folder(shared_faces, tmp_path / "known", flat=False)
    library = tmp_path / "library"
    first = import_known_people(library, known)
    assert first.faces_named >= 20 and first.new_people
    before = query(library, "SELECT face_id, person_id, assigned_by FROM faces ORDER BY 1")
    second = import_known_people(library, known)
    assert second.faces_named == 0 and not second.new_people
    assert query(library, "SELECT face_id, person_id, assigned_by FROM faces ORDER BY 1") == before
    skipped = " ".join(first.skipped)
    assert all(s.split(":")[0].startswith(str(known)) for s in first.skipped)
    ingest([shared_faces / "people"], library)
    cluster_people(library)
    rows = query(
        library,
        "SELECT i.path, p.name FROM faces f JOIN images i USING (image_id)"
        " LEFT JOIN people p ON p.person_id = f.person_id"
        " WHERE i.path LIKE ? QUALIFY row_number() OVER (PARTITION BY f.image_id"
        " ORDER BY (f.box_right - f.box_left) DESC) = 1",
        [str(shared_faces / "people") + "%"],
    )
    named_right = sum(1 for path, name in rows if name == Path(path).parent.name)
    named_wrong = [(path, name) for path, name in rows if name and name != Path(path).parent.name]
    knowable = sum(
        1
        for path, _ in rows
        if Path(path).parent.name not in STRANGERS and Path(path).parent.name not in skipped
    )
    assert named_right >= 0.8 * knowable, (named_right, knowable)
    assert len(named_wrong) <= 2, named_wrong
    strangers = [name for path, name in rows if Path(path).parent.name in STRANGERS]
    assert strangers and not any(strangers)  # nobody of KNOWN_DIR: no name


# ------------------------------------------------------------------ lfw-dev


@pytest.mark.slow
@pytest.mark.shared
@pytest.mark.longest
def test_find_on_lfw_dev_is_calibrated_and_finds_people(tmp_path):
    """One test, so the library of all lfw-dev is ingested once (xdist would give two tests
    of a module-scoped fixture to two workers, each ingesting it).

    Calibration: on the held-out half's searches, per decile of confidence, the share of right
    matches lies within the stated tolerance (0.1) of the confidence given. Accuracy: the
    issue's protocol, one reference photo per identity with two photos or more; the figures
    asserted are the ones measured (docs/how-to/find-a-person.md): the issue's target (recall
    0.9 at precision 0.97) is out of reach of dlib's encodings."""
    from calibrate import reliability, search_pairs
    from cluster_lfw import half_of, load
    from find_lfw import references, score

    from facegraph.find import confidence

    library = tmp_path / "library"
    ingest([lfw_dev_dir() / "people"], library)
    data = load(library)
    halves = np.array([half_of(i) for i in data["identity"]])
    distances, same, _ = search_pairs(data, halves == 1, np.random.default_rng(5))
    predicted = confidence.confidence(distances)
    for low, _, count, mean, right in reliability(predicted, same):
        if count >= 200:
            assert abs(right - mean) <= 0.1, (low, count, mean, right)
    assert same[predicted >= 0.9].mean() >= 0.9  # of the matches given 0.9-1.0, 90 % right

    refs = references(library)
    scores = score(library, refs, thresholds=(0.5, 0.9))
    recall, precision = scores[0.5]
    assert recall >= 0.66 and precision >= 0.72, scores
    recall, precision = scores[0.9]
    assert recall >= 0.33 and precision >= 0.93, scores
    # a reference photo given as a file finds what its stored face finds
    _, face_id, path = refs[0]
    by_photo = {m.face_id for m in find_faces(library, [path]).matches}
    by_face = find_faces(library, face_ids=[face_id]).matches
    assert by_photo == {m.face_id for m in by_face if m.path != path}
