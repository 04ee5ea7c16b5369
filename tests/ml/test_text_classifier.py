"""The trainable text classifier: it learns, generalises to unseen texts, is deterministic, and
survives the registry's save/load."""

from __future__ import annotations

import csv
import json
import pickle
import random
from pathlib import Path

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

from socialflow_pipelines.ml.metrics import binary_metrics
from socialflow_pipelines.ml.text_classifier import (
    TextClassifier,
    TextClassifierParams,
    normalize_social_text,
    train_with_holdout,
)
from socialflow_pipelines.platform.model_store import ModelStore

SMS_SPAM = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "sms-spam-collection"


def spam_and_ham(n: int, seed: int = 0) -> tuple[list[str], list[int]]:
    """Messages composed from shared and class-specific words, so held-out texts are new
    combinations the model has not seen whole."""
    rng = random.Random(seed)
    filler = ["you", "the", "now", "today", "call", "me", "later", "ok", "pls", "txt"]
    spam_words = ["win", "free", "prize", "cash", "claim", "urgent", "voucher", "ringtone", "offer", "£1000"]
    ham_words = ["dinner", "mum", "home", "sorry", "lol", "love", "tonight", "class", "bus", "sleep"]
    texts, labels = [], []
    for i in range(n):
        is_spam = i % 3 == 0
        own = spam_words if is_spam else ham_words
        words = rng.sample(own, 2) + rng.sample(filler, 3) + [rng.choice(ham_words + spam_words)]
        rng.shuffle(words)
        texts.append(
            " ".join(words) + (f" {rng.randint(10000, 99999)}" if is_spam and rng.random() < 0.5 else "")
        )
        labels.append(int(is_spam))
    return texts, labels


def test_trained_model_beats_chance_on_held_out_part() -> None:
    texts, labels = spam_and_ham(240)
    model, metrics = train_with_holdout(texts, labels, holdout=0.25, seed=0)
    majority = 1 - sum(labels) / len(labels)
    assert metrics["n"] == 60
    assert metrics["n_train"] == 180
    assert metrics["accuracy"] > majority + 0.15
    assert metrics["roc_auc"] > 0.9
    assert metrics["threshold"] == 0.5
    assert model.chosen_c in TextClassifierParams().c_grid


def test_probabilities_are_one_per_text_and_in_range() -> None:
    texts, labels = spam_and_ham(120)
    model = TextClassifier().fit(texts, labels)
    probabilities = model.predict_proba(["win a free prize now", "sorry mum home late", ""])
    assert probabilities.shape == (3,)
    assert ((probabilities >= 0) & (probabilities <= 1)).all()
    assert probabilities[0] > 0.5 > probabilities[1]
    assert model.predict_proba([]).shape == (0,)


def test_same_seed_same_model_different_seed_different_split() -> None:
    texts, labels = spam_and_ham(150)
    probe = ["claim your cash voucher", "see you at dinner", "free ringtone txt now"]
    first, first_metrics = train_with_holdout(texts, labels, seed=3)
    second, second_metrics = train_with_holdout(texts, labels, seed=3)
    np.testing.assert_array_equal(first.predict_proba(probe), second.predict_proba(probe))
    assert first_metrics == second_metrics
    other, _ = train_with_holdout(texts, labels, seed=4)
    assert not np.array_equal(first.predict_proba(probe), other.predict_proba(probe))


def test_survives_registry_save_and_load(tmp_path: Path) -> None:
    texts, labels = spam_and_ham(120)
    model, metrics = train_with_holdout(texts, labels)
    registry = ModelStore(tmp_path)
    version = registry.save("spam_model", model, metrics=metrics, params=model.describe())
    loaded, described = registry.load("spam_model", version.version)
    probe = ["urgent prize claim", "love you mum"]
    np.testing.assert_array_equal(loaded.predict_proba(probe), model.predict_proba(probe))
    assert described.params["chosen_c"] == model.chosen_c
    json.dumps(model.describe())


def test_refuses_what_it_cannot_learn_from() -> None:
    with pytest.raises(ValueError, match="each class"):
        TextClassifier().fit(["a", "b", "c"], [1, 1, 1])
    with pytest.raises(ValueError, match="labels"):
        TextClassifier().fit(["a", "b"], [1])
    with pytest.raises(ValueError, match="0/1"):
        TextClassifier().fit(["a", "b", "c", "d"], [0, 2, 1, 0])
    with pytest.raises(NotFittedError):
        TextClassifier().predict_proba(["hello"])
    with pytest.raises(ValueError, match="4 examples"):
        train_with_holdout(["a", "b", "c", "d", "e", "f"], [0, 0, 0, 1, 1, 1])


def test_normalisation_of_social_text() -> None:
    text = "RT @some_user: Sooooo GOOD &amp; cheap!!!!! https://t.co/xyz www.deal.com"
    assert normalize_social_text(text) == "   @user : sooo good & cheap!!!  httpurl   httpurl "
    # "RT" is dropped only as a retweet marker, before a handle.
    assert normalize_social_text("RT: @bob art @x rt this") == "   @user  art  @user  rt this"


def test_metrics_refuse_bad_input_and_handle_one_class() -> None:
    with pytest.raises(ValueError):
        binary_metrics([0, 1], [0.5])
    with pytest.raises(ValueError):
        binary_metrics([0, 2], [0.1, 0.9])
    one_class = binary_metrics([1, 1], [0.9, 0.2])
    assert one_class["roc_auc"] is None and one_class["recall"] == 0.5


@pytest.mark.skipif(not SMS_SPAM.is_dir(), reason="shared SMS Spam Collection not present")
def test_sms_spam_collection_beats_published_accuracy() -> None:
    """Almeida et al. 2011 report 97.6% accuracy for their best SVM; a stratified 80/20 split."""
    with (SMS_SPAM / "sms_spam_normalized.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    texts = [row["text"] for row in rows]
    labels = [int(row["label"] == "spam") for row in rows]
    train_x, test_x, train_y, test_y = train_test_split(
        texts, labels, test_size=0.2, stratify=labels, random_state=0
    )
    model = TextClassifier().fit(train_x, train_y)
    assert binary_metrics(test_y, model.predict_proba(test_x))["accuracy"] > 0.976


def insults_and_chatter(n: int, seed: int = 0) -> tuple[list[str], list[int]]:
    """A platform where "you" shows up only in insults: a model of these labels alone learns
    that addressing someone is abuse."""
    rng = random.Random(seed)
    adjectives = ["stupid", "pathetic", "worthless", "dumb", "clueless"]
    nouns = ["idiot", "loser", "clown", "moron", "fool"]
    topics = ["match", "recipe", "concert", "trip", "garden", "album", "photo", "lecture"]
    texts, labels = [], []
    for i in range(n):
        if i % 3 == 0:
            texts.append(
                f"{rng.choice(['you are a', 'shut up you', 'nobody likes you'])} "
                f"{rng.choice(adjectives)} {rng.choice(nouns)}"
            )
            labels.append(1)
        else:
            texts.append(
                f"{rng.choice(['great', 'lovely', 'nice', 'fun'])} {rng.choice(topics)} "
                f"{rng.choice(['today', 'this weekend', 'last night', 'again'])}"
            )
            labels.append(0)
    return texts, labels


def test_a_fused_prior_model_keeps_words_the_labels_never_showed_from_reading_as_abuse() -> None:
    texts, labels = insults_and_chatter(300)
    everyday = ["thank you so much", "see you tomorrow", "love you guys", "how are you doing"]
    plain = TextClassifier(TextClassifierParams(seed=0)).fit(texts, labels)
    fused = TextClassifier(TextClassifierParams(seed=0, prior="alt-profanity-check")).fit(texts, labels)
    assert plain.predict_proba(everyday).max() >= 0.5  # the labels alone teach that "you" is abuse
    assert fused.predict_proba(everyday).max() < 0.5
    assert fused.predict_proba(["you are a worthless idiot"])[0] > 0.9
    assert "fused with alt-profanity-check" in fused.describe()["family"]


def test_an_unknown_prior_model_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown prior model"):
        TextClassifier(TextClassifierParams(prior="nope"))


def test_adapting_to_the_population_estimates_its_base_rate_and_lowers_the_probabilities() -> None:
    texts, labels = spam_and_ham(600, seed=1)  # a third spam, as a reviewed sample might be
    model = TextClassifier(TextClassifierParams(seed=0)).fit(texts, labels)
    pool, pool_labels = spam_and_ham(3000, seed=2)
    population = [t for t, y in zip(pool, pool_labels, strict=True) if not y][:1800]
    population += [t for t, y in zip(pool, pool_labels, strict=True) if y][:200]  # 10% spam
    before = model.predict_proba(population)
    share = model.adapt_to_population(population)
    after = model.predict_proba(population)
    assert 0.05 < share < 0.16
    assert model.population_shift < 0
    assert (after < before).all()  # a monotone shift: the ranking, hence PR-AUC, is unchanged
    assert np.array_equal(np.argsort(after, kind="stable"), np.argsort(before, kind="stable"))
    assert model.describe()["population_prior"] == pytest.approx(share)


def slang_and_banter(n: int, seed: int = 0) -> tuple[list[str], list[int]]:
    """A source whose abuse is slang the prior model never learnt and whose friendly banter
    swears: in-source the prior is wrong, so a learnt stack over [SVM, prior] learns to ignore
    it (the LR stack used before gave the prior a weight of -0.07 and ranked the out-of-source
    probe below at ROC AUC 0.33)."""
    rng = random.Random(seed)
    texts, labels = [], []
    for i in range(n):
        if i % 3 == 0:
            texts.append(
                f"{rng.choice(['ur', 'such a', 'total', 'what a'])} "
                f"{rng.choice(['zorpy', 'blicky', 'snarfy', 'grummy'])} "
                f"{rng.choice(['wub', 'flonk', 'quazz'])}"
            )
            labels.append(1)
        else:
            texts.append(
                f"{rng.choice(['fucking great', 'damn fine', 'great', 'lovely', 'nice', 'fun'])} "
                f"{rng.choice(['match', 'recipe', 'concert', 'trip', 'garden', 'album'])} "
                f"{rng.choice(['today', 'this weekend', 'last night', 'again'])}"
            )
            labels.append(0)
    return texts, labels


def test_the_blend_keeps_the_prior_ranking_out_of_source_and_stays_calibrated_in_source() -> None:
    texts, labels = slang_and_banter(300)
    model = TextClassifier(TextClassifierParams(seed=0, prior="alt-profanity-check")).fit(texts, labels)
    abuse = ["you are a fucking idiot", "shut up you stupid bitch", "go to hell you piece of shit"]
    polite = ["thanks for the help with my homework", "the train was late again", "happy birthday sis"]
    out_of_source = model.predict_proba(abuse + polite)
    assert out_of_source[:3].min() > 0.9 > 0.1 > out_of_source[3:].max()
    held_out, held_out_labels = slang_and_banter(300, seed=1)
    probabilities = model.predict_proba(held_out)
    assert ((probabilities >= 0) & (probabilities <= 1)).all()
    assert abs(probabilities.mean() - np.mean(held_out_labels)) < 0.05
    assert binary_metrics(held_out_labels, probabilities)["roc_auc"] > 0.9
    assert model.describe()["blend"]["prior_weight"] == 0.5


def test_prior_weight_must_shrink_toward_the_prior() -> None:
    with pytest.raises(ValueError, match="prior_weight"):
        TextClassifier(TextClassifierParams(prior="alt-profanity-check", prior_weight=0.2))


def test_a_version_pickled_with_the_logistic_stack_still_scores() -> None:
    texts, labels = insults_and_chatter(120)
    model = TextClassifier(TextClassifierParams(seed=0, prior="alt-profanity-check")).fit(texts, labels)
    legacy = TextClassifier.__new__(TextClassifier)  # as unpickled: no `_blend`, no `prior_weight`
    legacy.__dict__.update({k: v for k, v in vars(model).items() if k != "_blend"})
    legacy.params = TextClassifierParams.__new__(TextClassifierParams)
    legacy.params.__dict__.update({k: v for k, v in vars(model.params).items() if k != "prior_weight"})
    legacy._fusion = LogisticRegression().fit(
        [[-1.0, -5.0], [1.0, 5.0], [-0.5, -2.0], [0.8, 3.0]], [0, 1, 0, 1]
    )
    restored = pickle.loads(pickle.dumps(legacy))
    probabilities = restored.predict_proba(["you are a worthless idiot", "lovely garden today"])
    assert probabilities[0] > 0.5 > probabilities[1]
    assert "by logistic stacking" in restored.describe()["family"]
