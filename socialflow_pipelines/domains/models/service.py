"""The models this process can hold, under the seed's names too: what is published (with its
held-out metrics), what is loaded here, how long loading took and what it cost in memory, and
loading or freeing one on request.

Loading is lazy (the first request that needs a model loads it), `SOCIALFLOW_PRELOAD_MODELS`
loads the moderation and analysis models at start, and `POST /models/load/{name}` loads and warms
one by hand; `DELETE /models/unload/{name}` frees it (the next use loads it again).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from socialflow_pipelines.config import Settings
from socialflow_pipelines.domains.content.service import TOPIC_MODEL, analyse_text, base_analyzer
from socialflow_pipelines.domains.moderation.runtime import (
    cached_runtime,
    current_runtime,
    forget_runtime,
    model_name,
)
from socialflow_pipelines.domains.recommendations.service import MODEL_NAME as RECOMMENDATION_MODEL
from socialflow_pipelines.domains.virality.service import MODEL_NAME as VIRAL_MODEL
from socialflow_pipelines.ml.moderation import TEXT_LABELS
from socialflow_pipelines.platform.model_store import ModelNotFoundError, ModelStore
from socialflow_pipelines.platform.process import resident_mb


class UnknownModel(LookupError):
    """No model of that name (or seed alias)."""


@dataclass(frozen=True)
class KnownModel:
    name: str
    task: str
    aliases: tuple[str, ...]
    stored_as: str | None  # the model store's name, for models the pipeline trains and publishes


MODELS = (
    KnownModel("spam", "moderation: spam in posts and comments", ("spam_detector",), model_name("spam")),
    KnownModel("toxicity", "moderation: toxicity", ("toxicity_detector",), model_name("toxicity")),
    KnownModel(
        "hate_speech", "moderation: hate speech", ("hate_speech_detector",), model_name("hate_speech")
    ),
    KnownModel(
        "frame_moderation",
        "moderation: NSFW and violence in video frames",
        ("nsfw_detector", "violence_detector"),
        None,
    ),
    KnownModel(
        "content_analyzer",
        "analysis: embeddings, language, sentiment, entities, categories",
        ("content_analysis",),
        None,
    ),
    KnownModel("topic_model", "analysis: topics", (), TOPIC_MODEL),
    KnownModel(
        "recommendation_model",
        "recommendations: the hybrid model (served precomputed)",
        (),
        RECOMMENDATION_MODEL,
    ),
    KnownModel(
        "viral_model", "virality: top-decile engagement at the horizon", ("viral_predictor",), VIRAL_MODEL
    ),
)
_BY_NAME = {alias: model for model in MODELS for alias in (model.name, *model.aliases)}


class ModelRegistry:
    """This process's view of its models (the API holds one in `app.state.models`). Load time and
    memory are known for loads made here (`load`); a model loaded on first use shows null."""

    def __init__(self, settings: Settings, *, on_load: Callable[[str, float], None] | None = None) -> None:
        self.settings = settings
        self.on_load = on_load  # told each load's seconds (the API's model load time metric)
        self.store = ModelStore(settings.model_dir)
        self._loads: dict[str, dict[str, float]] = {}
        self._lock = threading.Lock()

    def find(self, name: str) -> KnownModel:
        try:
            return _BY_NAME[name]
        except KeyError as exc:
            known = ", ".join(sorted(_BY_NAME))
            raise UnknownModel(f"no model named {name!r}; known: {known}") from exc

    def describe(self, model: KnownModel) -> dict[str, Any]:
        published, metrics = None, None
        if model.stored_as is not None:
            try:
                version = self.store.describe(model.stored_as)
                published, metrics = version.version, version.metrics
            except ModelNotFoundError:
                pass
        load = self._loads.get(model.name, {})
        return {
            "name": model.name,
            "aliases": list(model.aliases),
            "task": model.task,
            "published_version": published,
            "loaded": self._is_loaded(model),
            "unavailable": self._unavailable(model, published),
            "load_seconds": load.get("seconds"),
            "memory_mb_estimate": load.get("memory_mb"),
            "metrics": metrics,
        }

    def describe_all(self) -> list[dict[str, Any]]:
        return [self.describe(model) for model in MODELS]

    def load(self, name: str) -> dict[str, Any]:
        """Load and warm `name` (a no-op when it is loaded); returns its description."""
        model = self.find(name)
        with self._lock:
            before, started = resident_mb(), time.perf_counter()
            self._loaders()[model.name]()
            self._loads[model.name] = {
                "seconds": round(time.perf_counter() - started, 3),
                "memory_mb": round(max(resident_mb() - before, 0.0), 1),
            }
        if self.on_load is not None:
            self.on_load(model.name, self._loads[model.name]["seconds"])
        return self.describe(model)

    def unload(self, name: str) -> dict[str, Any]:
        """Free `name` in this process (its next use loads it again); returns its description."""
        model = self.find(name)
        with self._lock:
            if model.name in TEXT_LABELS:  # one runtime holds the three: all three are freed
                self.store.evict(model.stored_as)
                forget_runtime()
            elif model.stored_as is not None:
                self.store.evict(model.stored_as)
            elif model.name == "frame_moderation":
                runtime = cached_runtime()
                if runtime is not None:
                    runtime.unload_frame_models()
            elif model.name == "content_analyzer":
                base_analyzer.cache_clear()
            self._loads.pop(model.name, None)
        return self.describe(model)

    def _is_loaded(self, model: KnownModel) -> bool:
        runtime = cached_runtime(self.store)
        if model.name in TEXT_LABELS:  # held by the moderation runtime (published or local model)
            return runtime is not None and model.name in runtime.text_scorers
        if model.name == "frame_moderation":
            return self._frame_models() is not None and bool(self._frame_models()[0])
        if model.name == "content_analyzer":
            return base_analyzer.cache_info().currsize > 0
        return model.stored_as is not None and self.store.is_loaded(model.stored_as)

    def _unavailable(self, model: KnownModel, published: str | None) -> str | None:
        """Why this process cannot hold `model` now, where it knows (None otherwise)."""
        runtime = cached_runtime(self.store)
        if model.name in TEXT_LABELS:
            return None if runtime is None else runtime.text_unavailable.get(model.name)
        if model.name == "frame_moderation":
            frames = self._frame_models()
            return (
                "; ".join(f"{label}: {why}" for label, why in frames[1].items()) or None if frames else None
            )
        if model.stored_as is not None and published is None:
            return f"nothing published as {model.stored_as} yet (the pipeline trains and publishes it)"
        return None

    @staticmethod
    def _frame_models() -> tuple[dict[str, Any], dict[str, str]] | None:
        """The runtime's frame models once something loaded them (never loads them)."""
        runtime = cached_runtime()
        return None if runtime is None else runtime.loaded_frame_models

    def _loaders(self) -> dict[str, Callable[[], object]]:
        def text_moderation() -> object:
            return current_runtime(self.settings, self.store).text_moderator().moderate_texts(["warm up"])

        def stored(name: str) -> Callable[[], object]:
            return lambda: self.store.load_published(name)

        return {
            "spam": text_moderation,
            "toxicity": text_moderation,
            "hate_speech": text_moderation,
            "frame_moderation": lambda: current_runtime(self.settings, self.store).frame_models,
            "content_analyzer": lambda: analyse_text(self.store, "warm up"),
            "topic_model": stored(TOPIC_MODEL),
            "recommendation_model": stored(RECOMMENDATION_MODEL),
            "viral_model": stored(VIRAL_MODEL),
        }
