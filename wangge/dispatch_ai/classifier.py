"""The message classifier: TF-IDF blocks from `text.MessageFeatures`, a linear SVM, and a softmax
whose temperature is fitted on out-of-fold scores so that the confidence means something.

This module knows nothing about Django: the evaluation command and the benchmark use it as is.
"""

import io
import math
from collections import Counter
from dataclasses import dataclass

import joblib
import numpy as np
import sklearn
from scipy.optimize import minimize_scalar
from sklearn.model_selection import StratifiedKFold
from sklearn.svm import LinearSVC

from .text import MessageFeatures, Prepared, as_prepared, prepare

ARTEFACT_FORMAT = "wangge.dispatch_ai/1"
# Used when there are too few examples to fit a temperature (the cold start from the catalogue).
DEFAULT_TEMPERATURE = 0.25


@dataclass(frozen=True, slots=True)
class Candidate:
    """One suggestion: a catalogue label and the model's probability for it (0–1)."""

    label: str
    confidence: float

    def as_dict(self) -> dict:
        return {"label": self.label, "confidence": self.confidence}


def softmax(scores: np.ndarray, temperature: float) -> np.ndarray:
    z = scores / temperature
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def fit_temperature(scores: np.ndarray, y: np.ndarray) -> float:
    """The temperature that minimises the negative log-likelihood of the true labels."""

    def nll(log_t):
        p = softmax(scores, math.exp(log_t))
        return -np.log(np.clip(p[np.arange(len(y)), y], 1e-12, None)).mean()

    result = minimize_scalar(nll, bounds=(math.log(0.01), math.log(10.0)), method="bounded")
    return float(math.exp(result.x))


class MessageClassifier:
    """Fit on (text, label) pairs; `top(text, k)` gives the k best labels with probabilities."""

    def __init__(
        self,
        *,
        C: float = 0.5,
        class_weight: str | None = "balanced",
        calibration_folds: int = 3,
        seed: int = 20260601,
        features: dict | None = None,
    ):
        self.C = C
        self.class_weight = class_weight
        self.calibration_folds = calibration_folds
        self.seed = seed
        self.features = dict(features or {})

    def params(self) -> dict:
        return {
            "C": self.C,
            "class_weight": self.class_weight,
            "calibration_folds": self.calibration_folds,
            "seed": self.seed,
            "features": {k: list(v) if isinstance(v, tuple) else v for k, v in self.features.items()},
        }

    def _fit_core(self, docs: list[Prepared], y: np.ndarray):
        feats = MessageFeatures(**self.features)
        X = feats.fit_transform(docs)
        svm = LinearSVC(C=self.C, class_weight=self.class_weight, random_state=self.seed, max_iter=5000)
        svm.fit(X, y)
        return feats, svm

    def fit(self, texts, labels) -> "MessageClassifier":
        docs = as_prepared(texts)
        self.labels_ = sorted(set(labels))
        if len(self.labels_) < 2:
            raise ValueError("at least two labels are needed")
        index = {label: i for i, label in enumerate(self.labels_)}
        y = np.array([index[label] for label in labels])
        self.temperature_ = DEFAULT_TEMPERATURE
        self.calibrated_ = False
        smallest = min(Counter(y.tolist()).values())
        if self.calibration_folds >= 2 and smallest >= self.calibration_folds:
            oof = np.zeros((len(y), len(self.labels_)))
            splitter = StratifiedKFold(self.calibration_folds, shuffle=True, random_state=self.seed)
            for train_idx, test_idx in splitter.split(np.zeros(len(y)), y):
                feats, svm = self._fit_core([docs[i] for i in train_idx], y[train_idx])
                oof[test_idx] = _scores(svm, feats.transform([docs[i] for i in test_idx]))
            self.temperature_ = fit_temperature(oof, y)
            self.calibrated_ = True
        self.features_, svm = self._fit_core(docs, y)
        coef = np.asarray(svm.coef_, dtype=np.float32)
        intercept = np.asarray(svm.intercept_, dtype=np.float64)
        if coef.shape[0] == 1:  # two classes: sklearn keeps one row, for the second label
            coef = np.vstack([-coef, coef])
            intercept = np.array([-intercept[0], intercept[0]])
        # Stored as features x classes: one message's weights are a few hundred contiguous rows.
        self.weights_ = np.ascontiguousarray(coef.T)
        self.intercept_ = intercept
        self.n_train_ = len(y)
        return self

    def decision(self, texts) -> np.ndarray:
        X = self.features_.transform(as_prepared(texts))
        return np.asarray(X @ self.weights_, dtype=np.float64) + self.intercept_

    def predict_proba(self, texts) -> np.ndarray:
        return softmax(self.decision(texts), self.temperature_)

    def predict(self, texts) -> list[str]:
        return [self.labels_[i] for i in self.decision(texts).argmax(axis=1)]

    def proba_one(self, text: str | Prepared) -> np.ndarray:
        doc = text if isinstance(text, Prepared) else prepare(text)
        cols, vals = self.features_.fast_vector(doc)
        scores = vals @ np.take(self.weights_, cols, axis=0) + self.intercept_ if len(cols) else self.intercept_.copy()
        return softmax(scores, self.temperature_)

    def top(self, text: str | Prepared, k: int = 3) -> list[Candidate]:
        proba = self.proba_one(text)
        order = np.argsort(-proba, kind="stable")[: max(0, k)]
        return [Candidate(self.labels_[i], round(float(proba[i]), 4)) for i in order]


def _scores(svm: LinearSVC, X) -> np.ndarray:
    scores = svm.decision_function(X)
    if scores.ndim == 1:
        scores = np.column_stack([-scores, scores])
    return scores


def dumps(model: MessageClassifier) -> bytes:
    """Serialise our own trained model. joblib/pickle: only ever load bytes that `dumps` wrote."""
    buffer = io.BytesIO()
    joblib.dump({"format": ARTEFACT_FORMAT, "sklearn": sklearn.__version__, "model": model}, buffer, compress=3)
    return buffer.getvalue()


def loads(data: bytes) -> MessageClassifier:
    payload = joblib.load(io.BytesIO(data))
    if not isinstance(payload, dict) or payload.get("format") != ARTEFACT_FORMAT:
        raise ValueError("not a Wangge dispatch model")
    model = payload["model"]
    if not isinstance(model, MessageClassifier):
        raise ValueError("not a Wangge dispatch model")
    return model
