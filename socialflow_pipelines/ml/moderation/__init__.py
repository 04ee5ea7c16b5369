"""Moderation models: the decision rule (`decision`), the scorers behind the text labels
(`text_scorers`) and the frame labels (`frame_scorers`), the frames they read (`frames`), and the
moderator that runs them over a batch (`moderator`)."""

from socialflow_pipelines.ml.moderation.decision import (
    APPROVED,
    DECISIONS,
    FLAGGED,
    FRAME_LABELS,
    LABELS,
    REJECTED,
    REVIEW_REQUIRED,
    TEXT_LABELS,
    Decision,
    ModerationThresholds,
    decide,
)
from socialflow_pipelines.ml.moderation.frame_scorers import (
    NUDENET_EXPLICIT_CLASSES,
    NudeNetScorer,
    TransformersImageScorer,
    frame_scorers,
)
from socialflow_pipelines.ml.moderation.frames import FramesUnavailable, ImagePreprocessing, sample_frames
from socialflow_pipelines.ml.moderation.moderator import (
    ContentModerator,
    ModerationResult,
    VideoItem,
    video_text,
)
from socialflow_pipelines.ml.moderation.scorer import Scorer, ScorerUnavailable
from socialflow_pipelines.ml.moderation.text_scorers import (
    LABEL_PRIOR_MODELS,
    ProfanityCheckScorer,
    TrainedTextScorer,
    TransformersTextScorer,
    text_model_params,
    text_scorers,
)

__all__ = [
    "APPROVED",
    "DECISIONS",
    "FLAGGED",
    "FRAME_LABELS",
    "LABELS",
    "LABEL_PRIOR_MODELS",
    "NUDENET_EXPLICIT_CLASSES",
    "REJECTED",
    "REVIEW_REQUIRED",
    "TEXT_LABELS",
    "ContentModerator",
    "Decision",
    "FramesUnavailable",
    "ImagePreprocessing",
    "ModerationResult",
    "ModerationThresholds",
    "NudeNetScorer",
    "ProfanityCheckScorer",
    "Scorer",
    "ScorerUnavailable",
    "TrainedTextScorer",
    "TransformersImageScorer",
    "TransformersTextScorer",
    "VideoItem",
    "decide",
    "frame_scorers",
    "sample_frames",
    "text_model_params",
    "text_scorers",
    "video_text",
]
