import numpy as np
import pytest
import scipy.sparse as sp

from socialflow_pipelines.ml.recommendations.metrics import (
    auc_scores,
    average_precision_at_k,
    evaluate_ranking,
    hits_matrix,
    ndcg_at_k,
    precision_at_k,
    recall_at_k,
)


def test_ranking_metrics_on_a_hand_computed_case():
    # One user, relevant items {2, 5, 7}; ranked list [2, 9, 5, 1] → hits at positions 1 and 3.
    relevant = sp.csr_matrix(([1, 1, 1], ([0, 0, 0], [2, 5, 7])), shape=(1, 10))
    hits = hits_matrix(np.array([[2, 9, 5, 1]]), relevant)
    assert hits.tolist() == [[True, False, True, False]]
    n_relevant = np.array([3])
    assert precision_at_k(hits)[0] == pytest.approx(2 / 4)
    assert recall_at_k(hits, n_relevant)[0] == pytest.approx(2 / 3)
    dcg = 1 + 1 / np.log2(4)
    ideal = 1 + 1 / np.log2(3) + 1 / np.log2(4)
    assert ndcg_at_k(hits, n_relevant)[0] == pytest.approx(dcg / ideal)
    assert average_precision_at_k(hits, n_relevant)[0] == pytest.approx((1 / 1 + 2 / 3) / 3)


def test_auc_ignores_excluded_items_and_counts_ties_half():
    scores = np.array([[0.9, 0.5, 0.5, 0.1, 5.0]])
    positives = sp.csr_matrix(([1], ([0], [1])), shape=(1, 5))
    excluded = sp.csr_matrix(([1], ([0], [4])), shape=(1, 5))  # a train item scored highest
    # negatives 0.9, 0.5, 0.1 against the positive 0.5: below 1, tie 1, above 1 → (1 + 0.5) / 3
    assert auc_scores(scores, positives, excluded)[0] == pytest.approx(0.5)


def test_evaluate_ranking_excludes_train_items_from_the_ranking():
    # Item 0 has the largest bias but the user had it in train: the held-out item 1 comes first.
    train = sp.csr_matrix(([1], ([0], [0])), shape=(1, 3))
    test = sp.csr_matrix(([1], ([0], [1])), shape=(1, 3))
    bias = np.array([3.0, 2.0, 1.0])
    result = evaluate_ranking(np.zeros((1, 1)), np.zeros((3, 1)), bias, train, test, k=1)
    assert result["precision_at_1"] == 1.0
    assert result["auc"] == 1.0
