import pickle

import numpy as np
import pytest
import scipy.sparse as sp

from socialflow_demo.samples import planted_interactions
from socialflow_pipelines.ml.recommendations import (
    HybridRecommender,
    build_interactions,
    evaluate_ranking,
    top_k,
)


@pytest.fixture(scope="module")
def planted():
    data = planted_interactions(n_users=500, n_items=300, n_topics=6, events_per_user=25, seed=7)
    built = build_interactions(data.events, half_life_days=None)
    coo = built.matrix.tocoo()
    held_out = np.random.default_rng(0).random(coo.nnz) < 0.2
    train = sp.csr_matrix((coo.data[~held_out], (coo.row[~held_out], coo.col[~held_out])), shape=coo.shape)
    test = sp.csr_matrix((coo.data[held_out], (coo.row[held_out], coo.col[held_out])), shape=coo.shape)
    topics = {item: [f"topic:{data.item_topics[item]}"] for item in built.items.ids}
    return data, built, train, test, topics


def _fit(built, train, **kwargs):
    return HybridRecommender(no_components=16, random_state=3).fit(
        train, built.users, built.items, epochs=15, num_threads=1, **kwargs
    )


def test_model_beats_popularity_on_held_out_interactions(planted):
    _, built, train, test, _ = planted
    model = _fit(built, train)
    users, _ = model.user_representations()
    items, bias = model.item_representations()
    learned = evaluate_ranking(users, items, bias, train, test, k=10)
    popularity = np.asarray(train.sum(axis=0)).ravel()
    baseline = evaluate_ranking(
        np.zeros((train.shape[0], 1)), np.zeros((train.shape[1], 1)), popularity, train, test
    )
    assert learned["precision_at_10"] > 1.5 * baseline["precision_at_10"]
    assert learned["auc"] > baseline["auc"] + 0.05


def test_new_item_with_features_reaches_users_of_its_topic(planted):
    data, built, train, _, topics = planted
    model = _fit(built, train, item_features=topics)
    new_topic = 2
    fans = [u for u, liked in enumerate(data.user_topics) if liked == (new_topic,)]
    others = [u for u, liked in enumerate(data.user_topics) if new_topic not in liked]
    catalog = [*built.items.ids, "brand-new"]
    features = {"brand-new": [f"topic:{new_topic}"]}
    items, bias = model.item_representations(catalog, item_features=features)
    new_column = len(catalog) - 1

    def share_recommended(user_ids):
        users, _ = model.user_representations(user_ids)
        found = top_k(users, items, 20, item_bias=bias, exclude=train[built.users.positions(user_ids)])
        return np.mean([new_column in row for row in found.items])

    assert share_recommended(fans) > 0.5
    assert share_recommended(fans) > share_recommended(others) + 0.4


def test_new_user_with_features_is_placed_by_them():
    data = planted_interactions(n_users=300, n_items=200, n_topics=4, events_per_user=20, seed=2)
    built = build_interactions(data.events, half_life_days=None)
    user_features = {u: [f"likes:{t}" for t in data.user_topics[u]] for u in built.users.ids}
    model = HybridRecommender(no_components=16, random_state=1).fit(
        built.matrix, built.users, built.items, user_features=user_features, epochs=15, num_threads=1
    )
    vectors, _ = model.user_representations(["newcomer"], user_features={"newcomer": ["likes:1"]})
    assert np.any(vectors != 0)
    items, bias = model.item_representations()
    best = top_k(vectors, items, 10, item_bias=bias).items[0]
    on_topic = np.mean(data.item_topics[np.asarray(built.items.ids)[best]] == 1)
    assert on_topic >= 0.6
    unknown, _ = model.user_representations(["stranger"])
    assert not np.any(unknown)


def test_training_is_deterministic_and_the_model_pickles(planted):
    _, built, train, _, topics = planted
    first = _fit(built, train, item_features=topics)
    second = _fit(built, train, item_features=topics)
    assert np.array_equal(first.item_representations()[0], second.item_representations()[0])
    restored = pickle.loads(pickle.dumps(first))
    assert np.array_equal(restored.user_representations()[0], first.user_representations()[0])
    assert restored.items == first.items
