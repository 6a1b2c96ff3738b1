import numpy as np
import pytest

from wangge.dispatch_ai.classifier import Candidate, MessageClassifier, dumps, loads
from wangge.dispatch_ai.text import MessageFeatures, most_similar, normalise, prepare, similar

from .synthetic import dataset, message


@pytest.fixture(scope="module")
def model():
    texts, labels = dataset(per_class=15)
    return MessageClassifier().fit(texts, labels)


def test_normalise_removes_punctuation_spreadsheet_returns_and_full_width():
    assert normalise("Ａ１区，垃圾_x000D_没人管！！") == "a1区 垃圾 没人管"
    assert normalise("") == ""
    assert normalise(None) == ""


def test_raw_and_cleaned_forms_prepare_to_the_same_words():
    raw = "您好，我们小区的垃圾已经三天没有清运了！请尽快处理。"
    cleaned = "您好小区垃圾已经三天清运请尽快处理"
    assert prepare(raw).clean == prepare(cleaned).clean
    assert "的" not in prepare(raw).words


def test_fast_path_gives_exactly_what_scikit_learn_vectorisers_gave():
    texts, _ = dataset(per_class=15, seed=99)  # 60 messages: min_df=2 prunes rare grams
    texts += ["一个从没见过的词语组合", "停水"]
    features = MessageFeatures()
    fitted = features.fit_transform(texts).toarray()  # scikit-learn's TfidfVectorizer output
    fast = features.transform(texts).toarray()  # packed n-grams and lookup tables
    assert fitted.shape == fast.shape
    assert np.allclose(fitted, fast, atol=1e-5)
    unseen = features.transform(["完全陌生"])  # no gram of it was seen in training
    assert unseen.shape == (1, features.n_features_) and unseen.nnz == 0


def test_one_message_and_batch_scoring_agree(model):
    texts, _ = dataset(per_class=3, seed=98)
    for text in texts + ["一个从没见过的词语组合"]:
        assert np.allclose(model.proba_one(text), model.predict_proba([text])[0], atol=1e-6)


def test_top_three_is_ordered_and_agrees_with_predict(model):
    import random

    rng = random.Random(3)
    for code in ("SR01", "JT02", "ZS03", "GS04"):
        text = message(code, rng)
        top = model.top(text, 3)
        assert len(top) == 3
        assert all(isinstance(c, Candidate) for c in top)
        confidences = [c.confidence for c in top]
        assert confidences == sorted(confidences, reverse=True)
        assert 0 < sum(confidences) <= 1.0001
        assert len({c.label for c in top}) == 3
        assert top[0].label == model.predict([text])[0] == code


def test_temperature_is_fitted_when_every_class_has_enough_examples(model):
    assert model.calibrated_ is True
    assert 0.01 <= model.temperature_ <= 10


def test_two_labels_and_a_message_with_no_known_words():
    texts, labels = dataset(per_class=6, codes=["SR01", "GS04"])
    model = MessageClassifier().fit(texts, labels)
    top = model.top("完全陌生的内容", 3)
    assert [c.label for c in top] in (["SR01", "GS04"], ["GS04", "SR01"])
    assert model.top("垃圾没人清运", 1)[0].label == "SR01"


def test_one_label_is_refused():
    with pytest.raises(ValueError):
        MessageClassifier().fit(["垃圾", "清运"], ["SR01", "SR01"])


def test_artefact_round_trip_and_foreign_payload_refused(model):
    again = loads(dumps(model))
    text = "幸福小区停水三天，水压很低"
    assert again.top(text) == model.top(text)
    import io

    import joblib

    buffer = io.BytesIO()
    joblib.dump({"format": "something-else", "model": model}, buffer)
    with pytest.raises(ValueError):
        loads(buffer.getvalue())


def test_similarity_of_duplicates_raw_and_cleaned():
    a = "江阳路幸福小区门口垃圾堆了三天，没人清运，臭气熏天！"
    b = "江阳路幸福小区门口垃圾堆三天没人清运臭气熏天"
    c = "学府路的红绿灯坏了，早晚高峰拥堵严重"
    assert similar(a, a) == pytest.approx(1.0, abs=1e-5)
    assert similar(a, b) > 0.9
    assert similar(a, c) < 0.2
    assert similar("", a) == 0.0
    hits = most_similar(a, [("1", c), ("2", b), ("3", a + "请处理")], threshold=0.5)
    assert [h[0] for h in hits] == ["2", "3"] or [h[0] for h in hits] == ["3", "2"]
    assert all(score >= 0.5 for _, score in hits)
    assert hits[0][1] >= hits[1][1]


def test_similarity_groups_link_repeats_only():
    texts = [
        "江阳路幸福小区门口垃圾堆了三天，没人清运！",
        "学府路的红绿灯坏了，早晚高峰拥堵严重",
        "江阳路幸福小区门口垃圾堆三天了没人清运",
        "学府路红绿灯坏了，早晚高峰很拥堵",
        "凤凰湖晚上广场舞音响声音太大",
        "幸福小区门口垃圾三天没人清运，请处理",
    ]
    from wangge.dispatch_ai.text import similarity_groups

    assert similarity_groups(texts) == [[0, 2, 5], [1, 3]]
    assert similarity_groups(texts[:1]) == []
