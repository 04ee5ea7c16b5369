import numpy as np
import pytest
import scipy.sparse as sp

from socialflow_pipelines.ml.recommendations import (
    TopK,
    blend,
    content_profiles,
    follow_candidates,
    recommend_items,
    recommendations_frame,
    sparse_top_k,
    top_k,
)

RNG = np.random.default_rng(11)


def test_top_k_matches_brute_force_with_exclusions_and_eligibility():
    users = RNG.standard_normal((40, 8)).astype(np.float32)
    items = RNG.standard_normal((5000, 8)).astype(np.float32)
    bias = RNG.standard_normal(5000).astype(np.float32)
    exclude = sp.random(40, 5000, density=0.01, format="csr", random_state=1)
    eligible = RNG.random(5000) > 0.3
    found = top_k(users, items, 25, item_bias=bias, exclude=exclude, eligible_items=eligible, batch_size=16)
    scores = users @ items.T + bias
    scores[exclude.nonzero()] = -np.inf
    scores[:, ~eligible] = -np.inf
    assert np.array_equal(found.items, np.argsort(-scores, axis=1, kind="stable")[:, :25])


def test_top_k_pads_when_too_few_items_are_left():
    found = top_k(np.ones((1, 2)), np.eye(2), 3, exclude=sp.csr_matrix([[1, 0]]))
    assert found.items.tolist() == [[1, -1, -1]]


def _catalog(n_users=30, n_items=200, dim=6):
    user_vectors = RNG.standard_normal((n_users, dim)).astype(np.float32)
    item_vectors = RNG.standard_normal((n_items, dim)).astype(np.float32)
    return user_vectors, item_vectors, np.zeros(n_items, np.float32)


def test_every_exclusion_holds_in_the_blend():
    users, items, bias = _catalog()
    n_users, n_items = len(users), len(items)
    owner = RNG.integers(0, n_users, n_items)  # item → the user who created it
    own = sp.csr_matrix((np.ones(n_items), (owner, np.arange(n_items))), shape=(n_users, n_items))
    consumed = sp.random(n_users, n_items, density=0.05, format="csr", random_state=2)
    explicit = sp.csr_matrix(
        (np.ones(n_users), (np.arange(n_users), np.full(n_users, 7))), shape=(n_users, n_items)
    )
    rejected = np.zeros(n_items, bool)
    rejected[[3, 4, 5]] = True
    trending = RNG.random(n_items)
    trending[[3, 4, 5, 7]] = 100.0  # the most trending items are the ones that must not appear
    recs = recommend_items(
        20,
        n_users=n_users,
        collaborative=(users, items, bias),
        content=(content_profiles(consumed, items), items),
        trending_scores=trending,
        exclude=own + consumed + explicit,
        eligible_items=~rejected,
    )
    blocked = (own + consumed + explicit).toarray() > 0
    for row in range(n_users):
        chosen = recs.items[row][recs.items[row] >= 0]
        assert len(chosen) == 20
        assert not blocked[row, chosen].any()
        assert not rejected[chosen].any()


def _two_lists(n_users=1):
    collaborative = TopK(np.tile([1, 2, 3], (n_users, 1)), np.ones((n_users, 3), np.float32))
    trending = TopK(np.tile([3, 2, 1], (n_users, 1)), np.ones((n_users, 3), np.float32))
    return {"collaborative": collaborative, "trending": trending}


def test_blend_weights_decide_the_order_and_sources_add_up():
    lists = _two_lists()
    leaning_on_model = blend(lists, 3, weights={"collaborative": 0.8, "trending": 0.2})
    leaning_on_trending = blend(lists, 3, weights={"collaborative": 0.2, "trending": 0.8})
    assert leaning_on_model.items[0].tolist() == [1, 2, 3]
    assert leaning_on_trending.items[0].tolist() == [3, 2, 1]
    # item 1: first of the model's three (1.0 × 0.8) and last of trending's (1/3 × 0.2)
    assert leaning_on_model.sources["collaborative"][0, 0] == np.float32(0.8)
    assert np.isclose(leaning_on_model.sources["trending"][0, 0], 0.2 / 3)
    assert np.allclose(leaning_on_model.scores, sum(leaning_on_model.sources.values()))
    only_model = blend(lists, 3, weights={"collaborative": 1.0, "trending": 0.0})
    assert set(only_model.sources) == {"collaborative"}


def test_diversity_caps_a_creator_in_any_window():
    n_items = 60
    creators = np.where(np.arange(n_items) < 30, 0, np.arange(n_items))  # creator 0 owns the 30 best
    best_first = TopK(np.arange(n_items)[None, :], np.ones((1, n_items), np.float32))
    recs = blend({"collaborative": best_first}, 20, weights={"collaborative": 1.0}, creators=creators)
    owners = creators[recs.items[0]]
    for start in range(0, 20 - 9):
        assert np.sum(owners[start : start + 10] == 0) <= 2
    assert recs.items[0][:2].tolist() == [0, 1]  # the best items still lead
    uncapped = blend({"collaborative": best_first}, 20, weights={"collaborative": 1.0})
    assert np.all(creators[uncapped.items[0]] == 0)


def test_cold_start_user_gets_trending_and_the_frame_names_sources():
    users, items, bias = _catalog(n_users=2)
    users[1] = 0.0  # unknown to the model, no features
    trending = np.full(len(items), np.nan)
    trending[[10, 11, 12]] = [3.0, 2.0, 1.0]
    recs = recommend_items(5, n_users=2, collaborative=(users, items, bias), trending_scores=trending)
    cold = recs.items[1]
    assert cold[:3].tolist() == [10, 11, 12] and np.all(cold[3:] == -1)
    assert np.all(recs.sources["collaborative"][1] == 0)
    frame = recommendations_frame(recs, ["warm", "cold"], [f"item{i}" for i in range(len(items))])
    cold_rows = frame.filter(frame["user_id"] == "cold")
    assert cold_rows["item_id"].to_list() == ["item10", "item11", "item12"]
    assert cold_rows["rank"].to_list() == [1, 2, 3]
    assert cold_rows["sources"].struct.field("trending").to_list()[0] > 0


def test_follow_suggestions_skip_self_and_already_followed():
    # 0 follows 1 and 2; 1 and 2 follow 3 and 0; 4 follows 3 and 5; 5 is followed by many.
    edges = [(0, 1), (0, 2), (1, 3), (2, 3), (1, 0), (2, 0), (4, 3), (4, 5), (1, 5), (3, 5)]
    rows, cols = zip(*edges, strict=True)
    follows = sp.csr_matrix((np.ones(len(edges)), (rows, cols)), shape=(7, 7))
    vectors = RNG.standard_normal((7, 4)).astype(np.float32)
    found = follow_candidates(follows, np.array([0, 6]), 5, user_vectors=vectors)
    for signal in found.values():
        suggested = signal.items[0][signal.items[0] >= 0]
        assert not set(suggested.tolist()) & {0, 1, 2}
    assert found["graph"].items[0][0] == 3  # followed by both accounts user 0 follows
    assert 6 not in found["similarity"].items[1]
    assert found["popular"].items[1][0] in (3, 5)  # a new user still gets the most followed accounts


def test_sparse_top_k_orders_by_value_and_skips_excluded():
    scores = sp.csr_matrix(np.array([[0, 5, 1, 3], [2, 0, 0, 0]], dtype=np.float32))
    found = sparse_top_k(scores, 2, exclude=sp.csr_matrix(np.array([[0, 1, 0, 0], [0, 0, 0, 0]])))
    assert found.items.tolist() == [[3, 2], [0, -1]]


@pytest.mark.parametrize("density", [0.002, 0.05, 0.6])
@pytest.mark.parametrize("k", [1, 10, 120])
def test_sparse_top_k_dense_and_sparse_paths_agree_on_ties_and_exclusions(
    density: float, k: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Dense-ish rows are selected densely: the same items, scores and tie order (columns
    ascending) as the sorting path, rows with nothing to offer padded alike."""
    from socialflow_pipelines.ml.recommendations import ranking

    scores = sp.random(120, 100, density=density, random_state=1, format="csr", dtype=np.float32)
    scores.data = np.round(scores.data * 4)  # small counts: many ties
    exclude = sp.random(120, 100, density=0.1, random_state=2, format="csr")
    found = {}
    for path, share in (("sorted", 2.0), ("dense", 0.0)):
        monkeypatch.setattr(ranking, "DENSE_SHARE", share)
        found[path] = sparse_top_k(scores, k, exclude=exclude)
    assert np.array_equal(found["sorted"].items, found["dense"].items)
    assert np.array_equal(found["sorted"].scores, found["dense"].scores)
