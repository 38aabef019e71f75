"""Clustering quality against known identities: arrays in, numbers out.

Unassigned faces (label ``-1``) count as people of their own: they are never wrongly merged,
and every face of theirs that should have joined others costs recall.
"""

from __future__ import annotations

from collections import Counter

import numpy as np


def _singletons(predicted: np.ndarray) -> np.ndarray:
    predicted = np.asarray(predicted, dtype=np.int64).copy()
    unassigned = predicted < 0
    start = predicted.max(initial=-1) + 1
    predicted[unassigned] = start + np.arange(unassigned.sum())
    return predicted


def _f(precision: float, recall: float) -> float:
    return 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)


def pairwise_scores(truth, predicted) -> tuple[float, float, float]:
    """Precision, recall and F over all pairs of faces."""
    truth = np.asarray(truth)
    predicted = _singletons(predicted)
    joint = Counter(zip(truth.tolist(), predicted.tolist(), strict=True))
    same_both = sum(c * (c - 1) / 2 for c in joint.values())
    same_pred = sum(c * (c - 1) / 2 for c in Counter(predicted.tolist()).values())
    same_truth = sum(c * (c - 1) / 2 for c in Counter(truth.tolist()).values())
    precision = same_both / same_pred if same_pred else 1.0
    recall = same_both / same_truth if same_truth else 1.0
    return precision, recall, _f(precision, recall)


def bcubed_scores(truth, predicted) -> tuple[float, float, float]:
    """BCubed precision, recall and F (averaged over faces)."""
    truth = np.asarray(truth)
    predicted = _singletons(predicted)
    joint = Counter(zip(truth.tolist(), predicted.tolist(), strict=True))
    pred_size = Counter(predicted.tolist())
    truth_size = Counter(truth.tolist())
    precision = recall = 0.0
    for (t, p), count in joint.items():
        precision += count * count / pred_size[p]
        recall += count * count / truth_size[t]
    n = len(truth)
    precision, recall = precision / n, recall / n
    return precision, recall, _f(precision, recall)


def evaluate_labels(truth, predicted) -> dict[str, float]:
    """Every score `facegraph evaluate` reports."""
    from sklearn.metrics import normalized_mutual_info_score

    truth = np.asarray(truth)
    predicted = np.asarray(predicted, dtype=np.int64)
    pair_p, pair_r, pair_f = pairwise_scores(truth, predicted)
    b_p, b_r, b_f = bcubed_scores(truth, predicted)
    people_per_identity = [
        len(set(predicted[(truth == identity) & (predicted >= 0)].tolist()))
        for identity in np.unique(truth)
    ]
    merged = set()
    for person in np.unique(predicted[predicted >= 0]):
        names = sorted(set(truth[predicted == person].tolist()))
        merged.update((a, b) for i, a in enumerate(names) for b in names[i + 1 :])
    return {
        "faces": int(len(truth)),
        "identities": int(len(np.unique(truth))),
        "people": int(len(np.unique(predicted[predicted >= 0]))),
        "pairwise_precision": pair_p,
        "pairwise_recall": pair_r,
        "pairwise_f": pair_f,
        "bcubed_precision": b_p,
        "bcubed_recall": b_r,
        "bcubed_f": b_f,
        "nmi": float(normalized_mutual_info_score(truth, _singletons(predicted))),
        "people_per_identity": float(np.mean(people_per_identity)) if people_per_identity else 0.0,
        "unassigned_share": float(np.mean(predicted < 0)) if len(predicted) else 0.0,
        #: pairs of identities that share a person (strangers merged)
        "merged_identities": [list(pair) for pair in sorted(merged)],
    }
