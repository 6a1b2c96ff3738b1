"""Turning a citizen's message into features: one normalisation for raw and pre-cleaned text,
rjieba words, character n-grams and the opening of the message (where the subject is).

The classifier, the evaluation and the duplicate detector all start from `prepare`, so a message
typed into the hotline form and one from an already cleaned data set land in the same space.
"""

import math
import re
import unicodedata
from dataclasses import dataclass
from itertools import repeat

import numpy as np
import rjieba
from scipy import sparse
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import HashingVectorizer, TfidfVectorizer

# Function words that carry no topic. Data sets cleaned by others (such as the public contest
# file) already lack them; removing them from raw text puts both forms in the same space. Words
# like 请问, 您好, 需要 stay: they were kept in the cleaned data too and they say something about
# the kind of message.
STOP_WORDS = frozenset(
    """
    的 了 着 过 地 得 之 其 是 在 和 与 及 或 而 并 也 都 就 又 还 很 更 把 被 让 给 对 向 从 自 于 以 为
    因 因为 所以 但 但是 可是 然而 如果 虽然 即使 尽管 而且 并且 或者 以及 还是 这 那 这个 那个 这些
    那些 这样 那样 这里 那里 此 该 我 我们 你 你们 您 他 他们 她 她们 它 它们 自己 咱们 大家 啊 吧
    呢 吗 嘛 哦 呀 啦 哈 嗯 呃 哎 喔 么 等 等等 什么 怎么 怎样 如何 为什么 哪 哪里 哪些 谁 多少 几
    没 没有 不是 只是 仅 仅仅 非常 将 将要 会 能 可以 可能 要 又是 就是 也是 都是 还有 然后 而是 于是
    那么 这么 如此 并不 并没有 有些 各 各位 每 某 某些 其他 其它 另外 另 此外 关于 对于 由于 根据
    按照 通过 经过 随着 除了 为了 以便 以免 当中 的话 的时候 时候 本人
    """.split()
)

# Spreadsheet exports write a carriage return inside a cell as the literal text "_x000D_".
_EXCEL_CR = re.compile(r"_x000[dDaA]_")
_NOT_WORD = re.compile(r"[\W_]+")


@dataclass(frozen=True, slots=True)
class Prepared:
    """A message after normalisation: its content words and their concatenation."""

    words: tuple[str, ...]
    clean: str


def normalise(text: str) -> str:
    """Full-width to half-width, lower case, and every run of punctuation, symbols and white space
    removed (the contest data has none either)."""
    text = _EXCEL_CR.sub(" ", text or "")
    text = unicodedata.normalize("NFKC", text).lower()
    return _NOT_WORD.sub(" ", text).strip()


def prepare(text: str) -> Prepared:
    words = []
    for chunk in normalise(text).split():
        words.extend(w for w in rjieba.cut(chunk) if w not in STOP_WORDS and not w.isspace())
    return Prepared(words=tuple(words), clean="".join(words))


def char_ngrams(text: str, low: int, high: int) -> list[str]:
    grams = []
    for n in range(low, high + 1):
        if n == 1:
            grams += text
        else:
            grams += [text[i : i + n] for i in range(len(text) - n + 1)]
    return grams


def word_ngrams(words: tuple[str, ...], low: int, high: int) -> list[str]:
    grams = []
    for n in range(low, high + 1):
        if n == 1:
            grams.extend(words)
        else:
            grams += [" ".join(words[i : i + n]) for i in range(len(words) - n + 1)]
    return grams


class _CharAnalyzer:
    """Picklable analyzers (a lambda would not survive joblib) over a `Prepared` message."""

    def __init__(self, low: int, high: int, prefix: int = 0):
        self.low, self.high, self.prefix = low, high, prefix

    def __call__(self, doc: Prepared) -> list[str]:
        text = doc.clean[: self.prefix] if self.prefix else doc.clean
        return char_ngrams(text, self.low, self.high)


class _WordAnalyzer:
    def __init__(self, low: int, high: int):
        self.low, self.high = low, high

    def __call__(self, doc: Prepared) -> list[str]:
        return word_ngrams(doc.words, self.low, self.high)


class MessageFeatures(TransformerMixin, BaseEstimator):
    """Three TF-IDF blocks, each L2-normalised on its own and weighted:

    - character n-grams of the whole cleaned message (robust to segmentation errors and new words),
    - rjieba word n-grams (the topic words),
    - character n-grams of the first `prefix_chars` characters, where the subject of a message is.

    Input is a list of raw strings or of `Prepared` messages (to segment once and reuse).
    """

    def __init__(
        self,
        char_ngram=(1, 3),
        word_ngram=(1, 2),
        prefix_chars: int = 20,
        prefix_ngram=(1, 3),
        min_df: int = 2,
        weights=(1.0, 1.0, 1.0),
    ):
        self.char_ngram = char_ngram
        self.word_ngram = word_ngram
        self.prefix_chars = prefix_chars
        self.prefix_ngram = prefix_ngram
        self.min_df = min_df
        self.weights = weights

    def _blocks(self):
        blocks = [
            ("char", _CharAnalyzer(*self.char_ngram), self.min_df),
            ("word", _WordAnalyzer(*self.word_ngram), self.min_df),
        ]
        if self.prefix_chars:
            # The opening is short, so a gram seen once is still worth keeping.
            blocks.append(("prefix", _CharAnalyzer(*self.prefix_ngram, prefix=self.prefix_chars), 1))
        return blocks

    def fit(self, docs, y=None):
        self.fit_transform(docs)
        return self

    def fit_transform(self, docs, y=None):
        """Fit vocabularies and IDF with scikit-learn, keep them as compact lookup tables (the
        vectorisers themselves, with hundreds of thousands of string keys, are not kept)."""
        docs = as_prepared(docs)
        self.analyzers_ = []
        self.block_names_ = []
        self.tables_ = []
        idf = []
        mats = []
        offset = 0
        for (name, analyzer, min_df), weight in zip(self._blocks(), self.weights):
            # min_df above the number of documents would leave an empty vocabulary on tiny data.
            vec = TfidfVectorizer(
                analyzer=analyzer, sublinear_tf=True, min_df=min_df if len(docs) >= 50 else 1, dtype=np.float32
            )
            mats.append(vec.fit_transform(docs) * weight)
            self.analyzers_.append(analyzer)
            self.block_names_.append(name)
            self.tables_.append(_lookup_table(analyzer, vec.vocabulary_, offset))
            idf.append(vec.idf_)
            offset += len(vec.vocabulary_)
        self.idf_ = np.concatenate(idf).astype(np.float64)
        self.n_features_ = offset
        return sparse.hstack(mats, format="csr")

    def transform(self, docs):
        docs = as_prepared(docs)
        indptr, indices, data = [0], [], []
        for doc in docs:
            cols, vals = self.fast_vector(doc)
            indices.append(cols)
            data.append(vals)
            indptr.append(indptr[-1] + len(cols))
        return sparse.csr_matrix(
            (
                np.concatenate(data) if data else np.zeros(0),
                np.concatenate(indices) if indices else np.zeros(0, dtype=np.int64),
                np.array(indptr),
            ),
            shape=(len(docs), self.n_features_),
            dtype=np.float32,
        )

    # Scoring one message through three sklearn vectorisers costs over a millisecond of Python
    # overhead, and even a plain dict lookup per character n-gram (hashing each new substring)
    # costs a few hundred microseconds. So character n-grams become integers (code points packed
    # 21 bits each) looked up in sorted arrays with numpy; words use a dict. A test checks that
    # this gives exactly what scikit-learn's vectorisers gave at fitting time.
    def _block_columns(self, analyzer, table, doc: Prepared) -> np.ndarray:
        if isinstance(analyzer, _CharAnalyzer):
            text = doc.clean[: analyzer.prefix] if analyzer.prefix else doc.clean
            points = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
            found = []
            for n in range(analyzer.low, analyzer.high + 1):
                if len(points) < n or n not in table:
                    continue
                keys = points[: len(points) - n + 1].copy()
                for k in range(1, n):
                    keys = (keys << np.uint64(21)) | points[k : len(points) - n + 1 + k]
                sorted_keys, sorted_cols = table[n]
                idx = np.searchsorted(sorted_keys, keys)
                idx[idx == len(sorted_keys)] = 0
                hit = sorted_keys[idx] == keys
                found.append(sorted_cols[idx[hit]])
            return np.concatenate(found) if found else np.zeros(0, dtype=np.int64)
        grams = analyzer(doc)
        cols = np.fromiter(map(table.get, grams, repeat(-1)), dtype=np.int64, count=len(grams))
        return cols[cols >= 0]

    def fast_vector(self, doc: Prepared) -> tuple[np.ndarray, np.ndarray]:
        """Column indices and values of one message's feature vector."""
        all_cols, all_vals = [], []
        for analyzer, table, weight in zip(self.analyzers_, self.tables_, self.weights):
            cols = self._block_columns(analyzer, table, doc)
            if not len(cols):
                continue
            cols, tf = np.unique(cols, return_counts=True)
            vals = (1.0 + np.log(tf)) * self.idf_[cols]
            vals *= weight / math.sqrt(vals @ vals)
            all_cols.append(cols)
            all_vals.append(vals)
        if not all_cols:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        return np.concatenate(all_cols), np.concatenate(all_vals)


def _lookup_table(analyzer, vocabulary: dict[str, int], offset: int):
    """Character n-grams: per n, sorted packed keys and their columns. Words: a dict."""
    if not isinstance(analyzer, _CharAnalyzer):
        return {gram: offset + col for gram, col in vocabulary.items()}
    by_n: dict[int, tuple[list[int], list[int]]] = {}
    for gram, col in vocabulary.items():
        keys, cols = by_n.setdefault(len(gram), ([], []))
        keys.append(_pack(gram))
        cols.append(offset + col)
    table = {}
    for n, (keys, cols) in by_n.items():
        keys_arr = np.array(keys, dtype=np.uint64)
        order = np.argsort(keys_arr)
        table[n] = (keys_arr[order], np.array(cols, dtype=np.int64)[order])
    return table


def _pack(gram: str) -> int:
    """A character n-gram (n ≤ 3) as one integer: its code points, 21 bits each."""
    key = 0
    for ch in gram:
        key = (key << 21) | ord(ch)
    return key


def as_prepared(docs) -> list[Prepared]:
    return [d if isinstance(d, Prepared) else prepare(d) for d in docs]


# Duplicate and hot-spot detection use the same normalisation and character n-grams, hashed so
# that no fitting is needed: a score means the same thing on day one and after every retraining.
_SIMILARITY_VECTORIZER = HashingVectorizer(
    analyzer=_CharAnalyzer(2, 3), n_features=2**20, alternate_sign=False, norm="l2", dtype=np.float32
)


def similarity_vectors(texts) -> sparse.csr_matrix:
    """L2-normalised hashed character 2–3-gram vectors; the dot product of two rows is their cosine."""
    return _SIMILARITY_VECTORIZER.transform(as_prepared(texts))


def similar(text_a: str, text_b: str) -> float:
    """Cosine similarity in [0, 1] of two messages' character 2–3-grams after normalisation."""
    mat = similarity_vectors([text_a, text_b])
    return float(min(1.0, mat[0].multiply(mat[1]).sum()))


def most_similar(text: str, candidates: list[tuple[str, str]], *, threshold: float = 0.5, limit: int = 10):
    """The candidates (id, text) whose similarity to `text` is at least `threshold`, best first."""
    if not candidates:
        return []
    mat = similarity_vectors([text] + [c[1] for c in candidates])
    scores = (mat[1:] @ mat[0].T).toarray().ravel()
    order = np.argsort(-scores, kind="stable")
    return [(candidates[i][0], round(float(scores[i]), 4)) for i in order[:limit] if scores[i] >= threshold]


def similarity_groups(texts, *, threshold: float = 0.5) -> list[list[int]]:
    """Groups (indices into `texts`, two or more each, largest first) of messages linked by chains
    of similarity ≥ `threshold`: candidate hot spots once the caller has narrowed by place and time."""
    if len(texts) < 2:
        return []
    from scipy.sparse.csgraph import connected_components

    mat = similarity_vectors(texts)
    links = (mat @ mat.T).tocsr()
    links.data = (links.data >= threshold).astype(np.int8)
    links.eliminate_zeros()
    _, component = connected_components(links, directed=False)
    groups: dict[int, list[int]] = {}
    for index, group in enumerate(component.tolist()):
        groups.setdefault(group, []).append(index)
    return sorted((g for g in groups.values() if len(g) > 1), key=lambda g: (-len(g), g[0]))
