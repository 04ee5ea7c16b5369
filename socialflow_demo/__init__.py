"""The synthetic Social Flow used by `socialflow seed`: pure generators, polars frames out."""

from socialflow_demo.generator import SCHEMAS, LiveGenerator, WorldConfig, generate_world

__all__ = ["SCHEMAS", "LiveGenerator", "WorldConfig", "generate_world"]
