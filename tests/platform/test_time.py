"""One rule for stored times: naive means UTC, aware is converted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from socialflow_pipelines.platform.time import utc


def test_naive_values_are_utc_and_aware_values_are_converted() -> None:
    assert utc(datetime(2026, 12, 1, 10, 0)) == datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
    paris = timezone(timedelta(hours=1))
    assert utc(datetime(2026, 12, 1, 11, 0, tzinfo=paris)) == datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
    assert utc("2026-12-01T11:00:00+01:00") == datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
    assert utc("2026-12-01 10:00:00").tzinfo is UTC
