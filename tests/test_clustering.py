"""Clustering logic on synthetic encodings shaped like dlib's (fast; real photos elsewhere)."""

import numpy as np
import pytest

from facegraph.people.attach import attach_faces, keep_people_apart
from facegraph.people.clustering import cluster_faces, hdbscan
from facegraph.people.consensus import consensus, split_distinct_groups
from facegraph.people.evaluate import main_face
from facegraph.people.incremental import place_new_faces
from facegraph.people.metrics import bcubed_scores, evaluate_labels, pairwise_scores
from facegraph.people.neighbours import nearest_neighbours
from facegraph.people.params import METHODS, ClusterParams


def synthetic(identities=6, per_identity=8, spread=0.12, seed=0):
    """Tight identities (within ~0.3-0.4 of each other) far apart (> 0.8), as dlib's are."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(identities, 128))
    centres *= 0.6 / np.linalg.norm(centres, axis=1, keepdims=True)
    truth = np.repeat(np.arange(identities), per_identity)
    noise = rng.normal(scale=spread / np.sqrt(128) * 1.5, size=(len(truth), 128))
    encodings = (centres[truth] + noise).astype(np.float32)
    return encodings, truth, np.arange(len(truth))  # every face in its own photo


@pytest.mark.parametrize("method", METHODS)
def test_every_method_recovers_well_separated_identities(method):
    encodings, truth, photos = synthetic()
    labels = cluster_faces(encodings, photos, ClusterParams(method=method, threshold=0.5))
    scores = evaluate_labels(truth, labels)
    assert scores["bcubed_precision"] == 1.0
    assert scores["bcubed_recall"] > 0.9


def test_two_faces_of_one_photo_never_share_a_person():
    encodings, truth, photos = synthetic(identities=2, per_identity=6)
    photos[1] = photos[0]  # faces 0 and 1 (same identity) are in one photo: a mirror, a twin
    for method in METHODS:
        labels = cluster_faces(encodings, photos, ClusterParams(method=method))
        assert not (labels[0] >= 0 and labels[0] == labels[1]), method


def test_small_groups_stay_unassigned():
    encodings, truth, photos = synthetic(identities=3, per_identity=5)
    loner = np.random.default_rng(3).normal(size=(1, 128)).astype(np.float32)
    labels = cluster_faces(np.vstack([encodings, loner]), np.arange(16), ClusterParams(min_faces=3))
    assert labels[-1] == -1
    labels = cluster_faces(encodings, photos, ClusterParams(min_faces=6))
    assert (labels == -1).all()


def test_labels_are_numbered_by_size():
    encodings, truth, photos = synthetic(identities=3, per_identity=4)
    big, _, _ = synthetic(identities=1, per_identity=9, seed=5)
    labels = cluster_faces(np.vstack([encodings, big]), np.arange(21), ClusterParams())
    assert (labels[12:] == 0).all()


def test_nearest_neighbours_exact_and_approximate_agree(monkeypatch):
    encodings, _, _ = synthetic(identities=40, per_identity=30, seed=1)
    exact_d, exact_i = nearest_neighbours(encodings, 5)
    assert (exact_i != np.arange(len(encodings))[:, None]).all()  # never itself
    monkeypatch.setattr("facegraph.people.neighbours.EXACT_NEIGHBOURS_UP_TO", 10)
    approx_d, approx_i = nearest_neighbours(encodings, 5)
    agreement = np.mean([len(set(a) & set(b)) / 5 for a, b in zip(exact_i, approx_i, strict=True)])
    assert agreement > 0.95
    np.testing.assert_allclose(np.sort(exact_d[:, 0]), np.sort(approx_d[:, 0]), atol=1e-3)


def test_a_photo_labelled_with_one_identity_is_of_its_main_face():
    # an LFW-like 250 px portrait: the subject centred, a neighbour cut by the edge whose
    # visible box is larger
    subject, neighbour = (1, (86, 92, 166, 172)), (2, (0, 96, 76, 206))
    assert main_face([neighbour, subject], 250, 250) == 1
    # a portrait off centre beats a small face behind it in the middle
    portrait, background = (3, (20, 40, 220, 240)), (4, (480, 300, 560, 380))
    assert main_face([background, portrait], 1000, 700) == 3
    assert main_face([], 100, 100) is None


def test_pairwise_and_bcubed_scores_by_hand():
    truth = np.array(["a", "a", "a", "b", "b"])
    predicted = np.array([0, 0, 1, 1, -1])
    # pairs: predicted same = (0,1),(2,3) -> 2; truly same among them = (0,1) -> 1
    # truth same pairs = 3 (a) + 1 (b) = 4
    assert pairwise_scores(truth, predicted) == pytest.approx((0.5, 0.25, 1 / 3))
    precision, recall, _ = bcubed_scores(truth, predicted)
    assert precision == pytest.approx((1 + 1 + 0.5 + 0.5 + 1) / 5)
    assert recall == pytest.approx((2 / 3 + 2 / 3 + 1 / 3 + 0.5 + 0.5) / 5)
    scores = evaluate_labels(truth, predicted)
    assert scores["merged_identities"] == [["a", "b"]]
    assert scores["unassigned_share"] == pytest.approx(0.2)


def test_one_or_two_faces_cluster_without_error():
    encodings, _, _ = synthetic(identities=1, per_identity=2)
    for method in METHODS:
        alone = cluster_faces(encodings[:1], np.array([0]), ClusterParams(method=method))
        assert alone.tolist() == [0]  # a face seen once is a person of its own
        too_few = ClusterParams(method=method, min_faces=2)
        assert cluster_faces(encodings[:1], np.array([0]), too_few).tolist() == [-1]
        pair = cluster_faces(encodings, np.array([0, 1]), ClusterParams(method=method))
        assert len(pair) == 2


def _person(centre: np.ndarray, count: int, spread: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (centre + rng.normal(scale=spread / np.sqrt(128), size=(count, 128))).astype(np.float32)


def test_a_face_joins_a_person_by_their_nearest_faces_not_by_one_lookalike():
    rng = np.random.default_rng(3)
    centre = rng.normal(size=128)
    centre *= 0.6 / np.linalg.norm(centre)
    person = _person(centre, 12, 0.3, seed=1)  # faces about 0.42 apart
    lookalike = person[0] + 0.45 * _unit(rng)  # 0.45 from one face, far from the rest
    newcomer = _person(centre, 1, 0.3, seed=2)[0]  # another photo of the person
    labels = np.zeros(len(person), dtype=np.int64)
    images = np.arange(len(person))
    faces = np.stack([lookalike, newcomer]).astype(np.float32)
    joined = attach_faces(person, labels, images, faces, np.array([100, 101]), 0.53, nearest=8)
    assert joined.tolist() == [-1, 0]
    # never into a photo that already shows the person, nor against "not this person"
    in_same_photo = attach_faces(person, labels, images, faces[1:], np.array([images[0]]), 0.53)
    assert in_same_photo.tolist() == [-1]
    rejected = attach_faces(person, labels, images, faces[1:], np.array([101]), 0.53, {(0, 0)})
    assert rejected.tolist() == [-1]


def _unit(rng) -> np.ndarray:
    v = rng.normal(size=128)
    return v / np.linalg.norm(v)


def test_a_cluster_never_joins_two_people_kept_apart():
    labels = np.array([0, 0, 0, 0, 0, 1, 1])
    before = np.array([7, 7, 8, -1, 9, 3, 3])  # people 7 and 8 were said to be different
    split = keep_people_apart(labels, before, {(7, 8)})
    assert split[0] == split[1] == split[3] == split[4] != split[2]  # 9 is not apart from 7
    assert split[2] >= 2 and (split[5:] == 1).all()
    assert (keep_people_apart(labels, before, set()) == labels).all()


def test_a_face_between_two_people_stays_unassigned_unless_clearly_nearer_one():
    rng = np.random.default_rng(4)
    a, b = (0.6 * _unit(rng) for _ in range(2))
    people = np.vstack([_person(a, 6, 0.3, 1), _person(b, 6, 0.3, 2)])
    labels, images = np.repeat([0, 1], 6), np.arange(12)
    middle = ((a + b) / 2 + 0.05 * _unit(rng)).astype(np.float32)[None]
    near_a = _person(a, 1, 0.3, 3)
    for ratio, expected in ((1.0, None), (0.9, -1)):
        joined = attach_faces(people, labels, images, middle, np.array([99]), 0.6, ratio=ratio)
        assert expected is None or joined[0] == expected
    assert attach_faces(people, labels, images, near_a, np.array([98]), 0.6, ratio=0.9)[0] == 0


def test_consensus_links_only_what_most_clusterings_agree_on():
    encodings, truth, _ = synthetic(identities=3, per_identity=5)
    neighbours = nearest_neighbours(encodings, 6)
    right = truth.copy()
    merges_0_and_1 = np.where(truth == 1, 0, truth)
    splits_2 = np.where((truth == 2) & (np.arange(15) % 2 == 0), 9, truth)
    agreed = consensus([right, merges_0_and_1, splits_2], neighbours, agree=2)
    assert evaluate_labels(truth, agreed)["bcubed_f"] == 1.0
    everything = consensus([merges_0_and_1] * 3, neighbours, agree=2)
    assert len(set(everything[truth < 2].tolist())) == 1


def test_two_tight_lookalike_groups_bridged_by_close_pairs_are_split_again():
    rng = np.random.default_rng(7)
    centre = 0.6 * _unit(rng)
    offset = 0.35 * _unit(rng)  # sisters as dlib sees them: about 0.38 within, 0.52 between
    sister_a, sister_b = _person(centre, 7, 0.27, 1), _person(centre + offset, 7, 0.27, 2)
    both = np.vstack([sister_a, sister_b])
    one_cluster = np.zeros(14, dtype=np.int64)
    split = split_distinct_groups(both, one_cluster, 0.45)
    assert len(set(split[:7].tolist())) == 1 and len(set(split[7:].tolist())) == 1
    assert split[0] != split[7]
    # one person seen in varied conditions (one loose group) stays one person
    loose = np.vstack([_person(centre, 7, 0.36, 3), _person(centre + offset, 7, 0.36, 4)])
    assert len(set(split_distinct_groups(loose, one_cluster, 0.45).tolist())) == 1


def test_hdbscan_on_the_neighbour_graph_copes_with_parts_that_do_not_touch():
    encodings, truth, _ = synthetic(identities=4, per_identity=6)
    labels = hdbscan(nearest_neighbours(encodings, 3))  # k < group size: four separate parts
    assert evaluate_labels(truth, labels)["bcubed_precision"] == 1.0


def test_new_faces_join_the_people_their_cluster_holds_or_form_new_ones():
    encodings, truth, photos = synthetic(identities=4, per_identity=8)
    old = truth < 3
    known_rows = np.flatnonzero(old & (np.arange(len(truth)) % 8 < 5))
    new_rows = np.setdiff1d(np.arange(len(truth)), known_rows)
    people = truth[known_rows] + 100
    placed = place_new_faces(
        encodings[known_rows], people, photos[known_rows], encodings[new_rows], photos[new_rows],
        ClusterParams(),
    )  # fmt: skip
    joins, groups = placed.joins, placed.groups
    is_old = truth[new_rows] < 3
    assert (joins[is_old] == truth[new_rows][is_old] + 100).all() and (groups[is_old] == -1).all()
    assert (joins[~is_old] == -1).all() and len(set(groups[~is_old].tolist())) == 1
    assert groups[~is_old][0] >= 0
    forbidden = {(0, int(joins[0]))}  # "not this person" holds for new faces too
    again = place_new_faces(
        encodings[known_rows], people, photos[known_rows], encodings[new_rows], photos[new_rows],
        ClusterParams(), forbidden,
    ).joins  # fmt: skip
    assert again[0] != joins[0]


def test_a_face_seen_once_joins_its_second_photo_and_two_lone_faces_become_one():
    encodings, truth, photos = synthetic(identities=3, per_identity=4)
    known = np.flatnonzero(truth < 2)
    people = truth[known] + 100
    lone = np.flatnonzero(truth == 2)
    # an earlier run saw two photos of person 2, alone each time: two provisional people
    known = np.concatenate([known, lone[:2]])
    people = np.concatenate([people, [300, 301]])
    provisional = people >= 300
    placed = place_new_faces(
        encodings[known], people, photos[known], encodings[lone[2:]], photos[lone[2:]],
        ClusterParams(), provisional=provisional,
    )  # fmt: skip
    assert sorted(known[placed.again].tolist()) == sorted(lone[:2].tolist())
    # the new photos and both lone faces end in the first of those people
    assert (placed.joins == 300).all() and (placed.groups == -1).all()
    far = place_new_faces(
        encodings[known], people, photos[known], encodings[truth == 0][:1],
        photos[truth == 0][:1] + 1000, ClusterParams(), provisional=provisional,
    )  # fmt: skip
    assert len(far.again) == 0  # lone faces far from the new ones are left as they are
