"""What an operator scrapes at /metrics, over real HTTP: the seed's five monitoring figures (task
success rate and latency per asset from Dagster's run records, queue length, cache hit rate,
model load time) next to the responses by route and status."""

from __future__ import annotations

import re
from datetime import timedelta

import dagster as dg
from prometheus_client.parser import text_string_to_metric_families

from socialflow_pipelines.definitions import defs
from socialflow_pipelines.defs.trending.assets import trending_scores
from tests.defs.trending.world import NOW, hand_built_events, insert_events, materialize_range


@dg.asset
def broken_asset() -> None:
    raise RuntimeError("a failing step, for the success rate")


def samples(text: str, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name:
                found[tuple(sorted(sample.labels.items()))] = sample.value
    return found


def test_metrics_export_the_seeds_monitoring_figures(sqlite_db, redis_url, start_api, make_token) -> None:
    insert_events(sqlite_db, hand_built_events())
    with dg.instance_for_test() as instance:  # DAGSTER_HOME: the instance the API reads runs from
        assert materialize_range(NOW - timedelta(hours=50), NOW).success
        assert dg.materialize([trending_scores], resources=defs.resources, instance=instance).success
        failed = dg.materialize([broken_asset], instance=instance, raise_on_error=False)
        assert not failed.success
        api = start_api()
        with api.client(make_token(1)) as user, api.client(make_token(2, admin=True)) as admin:
            for _ in range(3):
                assert user.get("/api/v1/ml/trending", params={"time_window": "6h"}).status_code == 200
            assert user.get("/api/v1/ml/recommendations").status_code == 200  # no list: a miss
            assert admin.post("/api/v1/ml/models/load/toxicity").status_code == 200
            text = admin.get("/api/v1/ml/metrics").text
            # The models are this process's (the server runs in it): leave them as found.
            assert admin.delete("/api/v1/ml/models/unload/toxicity").status_code == 200

    cache = samples(text, "socialflow_cache_reads_total")
    assert cache[(("kind", "trending"), ("outcome", "hit"))] == 3
    assert cache[(("kind", "recommendations"), ("outcome", "miss"))] == 1
    loads = samples(text, "socialflow_model_load_seconds")
    assert loads[(("model", "toxicity"),)] > 0
    success = samples(text, "socialflow_task_success_ratio")
    assert success[(("asset", "trending_scores"),)] == 1.0
    assert success[(("asset", "broken_asset"),)] == 0.0
    latency = samples(text, "socialflow_task_seconds")
    assert latency[(("asset", "trending_scores"), ("quantile", "0.5"))] > 0
    runs = samples(text, "socialflow_runs")
    assert runs[(("status", "queued"),)] == 0
    pending = samples(text, "socialflow_pending_items")
    assert set(pending) == {(("result", "moderation"),), (("result", "content_features"),)}
    route = r'method="GET",route="/api/v1/ml/trending",status="200"'
    assert re.search(r"socialflow_api_requests_total\{" + route + r"\} 3", text)
