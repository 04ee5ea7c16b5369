"""EASE learns planted item-item structure, and the collaborative artifact loads old LightFM versions."""

import pickle

import numpy as np
import scipy.sparse as sp

from socialflow_demo.samples import planted_interactions
from socialflow_pipelines.ml.recommendations import (
    CollaborativeModel,
    EaseRecommender,
    HybridRecommender,
    as_collaborative_model,
    build_interactions,
    evaluate_collaborative,
    popularity_ranking,
)


def _split():
    data = planted_interactions(n_users=400, n_items=200, n_topics=5, events_per_user=20, seed=4)
    built = build_interactions(data.events, half_life_days=None)
    coo = built.matrix.tocoo()
    held = np.random.default_rng(0).random(coo.nnz) < 0.2
    part = lambda m: sp.csr_matrix((coo.data[m], (coo.row[m], coo.col[m])), shape=coo.shape)  # noqa: E731
    return built, part(~held), part(held)


def test_ease_beats_popularity_and_serves_through_the_artifact():
    built, train, test = _split()
    ease = EaseRecommender(k=10, lambda_scales=(1.0, 10.0)).fit(train, built.items)
    assert set(ease.validation) == {"1", "10"} and ease.l2 >= 1.0
    lightfm = HybridRecommender(no_components=8, random_state=1).fit(
        train, built.users, built.items, epochs=3, num_threads=1
    )
    users, _ = lightfm.user_representations()
    items, bias = lightfm.item_representations()
    model = pickle.loads(pickle.dumps(CollaborativeModel(lightfm, ease, "ease")))
    collaborative = model.collaborative(
        (users, items, bias), item_ids=built.items.ids, history=train, history_items=built.items.ids
    )
    learned = evaluate_collaborative(collaborative, train, test, k=10, num_threads=1)
    baseline = popularity_ranking(train, test, k=10)
    assert learned["precision_at_10"] > 1.3 * baseline["precision_at_10"]
    assert learned["auc"] > baseline["auc"] + 0.05


def test_a_bare_lightfm_artifact_still_loads_as_the_lightfm_choice():
    built, train, _ = _split()
    old = HybridRecommender(no_components=4, random_state=1).fit(
        train, built.users, built.items, epochs=1, num_threads=1
    )
    wrapped = as_collaborative_model(pickle.loads(pickle.dumps(old)))
    assert wrapped.choice == "lightfm" and wrapped.ease is None
    factors = (*old.user_representations()[:1], *old.item_representations())
    assert wrapped.collaborative(factors, history=train).item_item is None
