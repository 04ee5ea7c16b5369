from datetime import UTC, datetime

import numpy as np
import polars as pl
import pytest

from socialflow_pipelines.ml.recommendations import IdIndex, build_interactions


def test_id_index_keeps_positions_and_appends_new_ids_sorted():
    first = IdIndex(["b", "a"])
    assert first.ids == ["a", "b"]
    second = first.extended(["c", "a", "0"])
    assert second.ids == ["a", "b", "0", "c"]
    assert first.ids == ["a", "b"]  # the original is untouched
    assert second.positions(["c", "a", "zz"]).tolist() == [3, 0, -1]


def _events(rows):
    return pl.DataFrame(rows, schema=["user_id", "item_id", "event_type", "created_at"], orient="row")


def test_weights_follow_event_type_and_sum_per_pair():
    now = datetime(2024, 1, 10)
    events = _events(
        [
            (1, 10, "view", now),
            (1, 10, "like", now),
            (1, 11, "share", now),
            (2, 10, "comment", now),
            (2, 12, "unknown_kind", now),
        ]
    )
    built = build_interactions(events, half_life_days=None)
    matrix = built.matrix.toarray()
    u1, u2 = built.users.positions([1, 2])
    i10, i11 = built.items.positions([10, 11])
    assert matrix[u1, i10] == pytest.approx(1.0 + 2.0)
    assert matrix[u1, i11] == pytest.approx(4.0)
    assert matrix[u2, i10] == pytest.approx(3.0)
    assert 12 not in built.items  # event types without a weight do not count


def test_time_decay_halves_weight_per_half_life():
    events = _events([(1, 10, "like", datetime(2024, 1, 1)), (1, 11, "like", datetime(2024, 1, 31))])
    built = build_interactions(events, half_life_days=30.0)
    old, recent = built.items.positions([10, 11])
    row = built.matrix.toarray()[0]
    assert row[recent] == pytest.approx(2.0)
    assert row[old] == pytest.approx(1.0)


def test_rebuild_keeps_known_positions_and_appends_new_ones():
    day = datetime(2024, 1, 1)
    first = build_interactions(_events([(5, 50, "view", day), (3, 30, "view", day)]))
    second = build_interactions(
        _events([(3, 30, "view", day), (9, 20, "like", day), (5, 50, "view", day)]),
        users=first.users,
        items=first.items,
    )
    assert second.users.ids[: len(first.users)] == first.users.ids
    assert second.items.ids == [30, 50, 20]
    assert second.matrix.shape == (3, 3)
    assert np.allclose(second.matrix[:2, :2].toarray(), first.matrix.toarray())


def test_decay_works_with_time_zone_aware_timestamps():
    aware = datetime(2024, 1, 1, tzinfo=UTC)
    events = _events([(1, 10, "like", aware)])
    built = build_interactions(events, half_life_days=10.0, now=datetime(2024, 1, 11, tzinfo=UTC))
    assert built.matrix[0, 0] == pytest.approx(1.0)
