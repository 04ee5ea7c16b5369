"""Binary classification metrics from labels and probabilities, one definition for training,
the asset checks that gate publication and `socialflow eval`, so their figures compare."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.metrics import (
    accuracy_score,
    average_precision_score,
    f1_score,
    precision_score,
    recall_score,
    roc_auc_score,
)


def binary_metrics(
    labels: Sequence[int] | np.ndarray,
    probabilities: Sequence[float] | np.ndarray,
    *,
    threshold: float = 0.5,
) -> dict[str, float | int | None]:
    """Accuracy, precision, recall and F1 of `probability >= threshold`, plus the threshold-free
    ROC-AUC and PR-AUC (average precision) of the probabilities themselves.

    The ranking metrics are `None` when the labels hold a single class (they are undefined then);
    precision is 0 when nothing is predicted positive rather than a warning.
    """
    y_true = np.asarray(labels, dtype=np.int8)
    y_prob = np.asarray(probabilities, dtype=np.float64)
    if y_true.ndim != 1 or y_true.shape != y_prob.shape:
        raise ValueError(f"labels {y_true.shape} and probabilities {y_prob.shape} must be equal 1-d arrays")
    if y_true.size == 0:
        raise ValueError("no items to measure")
    if not np.isin(y_true, (0, 1)).all():
        raise ValueError("labels must be 0 or 1")
    if not np.isfinite(y_prob).all():
        raise ValueError("probabilities must be finite")
    y_pred = (y_prob >= threshold).astype(np.int8)
    both_classes = np.unique(y_true).size == 2
    return {
        "n": int(y_true.size),
        "positives": int(y_true.sum()),
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "precision": float(precision_score(y_true, y_pred, zero_division=0)),
        "recall": float(recall_score(y_true, y_pred, zero_division=0)),
        "f1": float(f1_score(y_true, y_pred, zero_division=0)),
        "roc_auc": float(roc_auc_score(y_true, y_prob)) if both_classes else None,
        "pr_auc": float(average_precision_score(y_true, y_prob)) if both_classes else None,
    }
