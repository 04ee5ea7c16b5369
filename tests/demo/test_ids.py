"""Demo ids: UUIDs like the seed's backend, one range per kind, sorting as the ordinals they encode."""

from __future__ import annotations

import uuid

import numpy as np
import pytest

from socialflow_demo.ids import demo_id, demo_id_range, demo_ids, demo_ordinal
from socialflow_pipelines.platform.ids import canonical_id


def test_a_demo_id_is_a_canonical_uuid_and_gives_back_its_ordinal() -> None:
    post = demo_id("post", 42)
    assert canonical_id(post, "uuid") == post and uuid.UUID(post).version == 4
    assert demo_ordinal(post) == 42
    assert demo_id("post", 42, "integer") == "42" and demo_ordinal("42", "integer") == 42


def test_kinds_never_collide_and_ids_sort_as_their_ordinals() -> None:
    kinds = ("user", "video", "post", "comment")
    assert len({demo_id(kind, 7) for kind in kinds}) == len(kinds)
    ordinals = [1, 9, 10, 99, 100, 123_456_789]
    assert sorted(demo_id("comment", n) for n in ordinals) == [demo_id("comment", n) for n in ordinals]
    low, high = demo_id_range("video")
    assert low <= demo_id("video", 5) <= high and not low <= demo_id("post", 5) <= high


def test_the_vectorised_ids_are_the_same_ids() -> None:
    ordinals = np.array([3, 1, 1_000_000])
    assert demo_ids("user", ordinals).to_list() == [demo_id("user", int(n)) for n in ordinals]
    assert demo_ids("user", ordinals, "integer").to_list() == ["3", "1", "1000000"]


def test_ids_the_demo_did_not_make_are_refused() -> None:
    with pytest.raises(ValueError, match="not a demo id"):
        demo_ordinal(str(uuid.uuid4()))
    with pytest.raises(ValueError, match="outside"):
        demo_id("post", -1)
