"""The seed's model management (admin): GET /models, POST /models/load/{name},
DELETE /models/unload/{name}."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Request, status
from pydantic import BaseModel, Field

from socialflow_pipelines.domains.models.service import ModelRegistry, UnknownModel
from socialflow_pipelines.serving.deps import ERROR_RESPONSES, AdminDep

router = APIRouter(tags=["models"])


class ModelOut(BaseModel):
    name: str
    aliases: list[str]
    task: str
    published_version: str | None
    loaded: bool
    unavailable: str | None = Field(description="Why it cannot be loaded here, where that is known.")
    load_seconds: float | None = Field(description="The last load through POST /models/load here.")
    memory_mb_estimate: float | None = Field(description="This process's resident memory growth then.")
    metrics: dict[str, Any] | None = Field(description="The published version's held-out metrics.")


class ModelsResponse(BaseModel):
    models: list[ModelOut]
    count: int


def get_registry(request: Request) -> ModelRegistry:
    return request.app.state.models


RegistryDep = Annotated[ModelRegistry, Depends(get_registry)]
ModelName = Annotated[
    str, Path(max_length=64, description="A model's name or seed alias (nsfw_detector, ...).")
]


@router.get("/models", response_model=ModelsResponse, responses=ERROR_RESPONSES)
def list_models(_admin: AdminDep, registry: RegistryDep) -> ModelsResponse:
    """Every model the platform knows: published version, held-out metrics, loaded here or not."""
    models = [ModelOut(**found) for found in registry.describe_all()]
    return ModelsResponse(models=models, count=len(models))


@router.post("/models/load/{model_name}", response_model=ModelOut, responses=ERROR_RESPONSES)
def load_model(model_name: ModelName, _admin: AdminDep, registry: RegistryDep) -> ModelOut:
    """Load and warm a model in this process (no body needed)."""
    try:
        return ModelOut(**registry.load(model_name))
    except UnknownModel as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from exc


@router.delete("/models/unload/{model_name}", response_model=ModelOut, responses=ERROR_RESPONSES)
def unload_model(model_name: ModelName, _admin: AdminDep, registry: RegistryDep) -> ModelOut:
    """Free a model in this process; the next request that needs it loads it again."""
    try:
        return ModelOut(**registry.unload(model_name))
    except UnknownModel as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from exc
