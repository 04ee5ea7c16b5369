"""A viral prediction as stored (`ml.viral_predictions`), cached and answered (the seed's shape)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

Basis = Literal["stored history", "given counts"]


@dataclass(frozen=True)
class ViralPrediction:
    content_type: str
    content_id: str | None
    viral_score: float  # calibrated probability of ending in the top decile of its type
    is_likely_viral: bool  # viral_score at or over ML_VIRAL_THRESHOLD
    confidence: float  # the model's held-out discrimination at this age (0: none, 1: perfect)
    predicted_count: float  # engagement expected at the horizon
    factors: dict[str, float]  # each feature's contribution to the log-odds (TreeSHAP)
    age_minutes: float
    observations: int
    model_version: str
    predicted_at: datetime
    basis: Basis

    def payload(self) -> dict[str, Any]:
        """The seed's response fields first, then what else the prediction knows."""
        return {
            "content_id": self.content_id,
            "viral_score": self.viral_score,
            "is_likely_viral": self.is_likely_viral,
            "factors": self.factors,
            "confidence": self.confidence,
            "content_type": self.content_type,
            "predicted_engagement": self.predicted_count,
            "age_minutes": self.age_minutes,
            "observations": self.observations,
            "basis": self.basis,
            "model_version": self.model_version,
            "predicted_at": self.predicted_at.isoformat(),
        }

    def row(self) -> dict[str, Any]:
        """The `ml.viral_predictions` row (factors as JSON text, as both stores take it)."""
        return {
            "content_type": self.content_type,
            "content_id": self.content_id,
            "score": self.viral_score,
            "confidence": self.confidence,
            "factors": json.dumps(self.factors),
            "model_version": self.model_version,
            "predicted_at": self.predicted_at,
            "predicted_count": self.predicted_count,
            "age_minutes": self.age_minutes,
            "observations": self.observations,
        }
