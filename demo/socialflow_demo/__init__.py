"""The synthetic Social Flow: the demo's world (`socialflow seed`, `demo`), written into the app
tables by `load`, and the small inputs of the tests and benchmarks (`samples`). Pure generators,
polars frames out."""

from socialflow_demo.live import LiveGenerator
from socialflow_demo.population import WorldConfig
from socialflow_demo.tables import SCHEMAS
from socialflow_demo.world import generate_world

__all__ = ["SCHEMAS", "LiveGenerator", "WorldConfig", "generate_world"]
