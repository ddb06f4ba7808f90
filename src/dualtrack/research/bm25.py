"""Okapi BM25 over a sparse term-weight matrix (numpy + scipy.sparse, no extra package)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray


class BM25Index:
    """BM25 with the usual ``k1``/``b``; documents are pre-tokenised lists of terms.

    ``fit`` turns every (document, term) pair into its final BM25 weight once, so a query
    is a sum over a few columns of a CSC matrix: fast at 100k chunks.
    """

    def __init__(self, *, k1: float = 1.5, b: float = 0.75) -> None:
        self.k1 = k1
        self.b = b

    def fit(self, docs: Sequence[Sequence[str]]) -> BM25Index:
        vocab: dict[str, int] = {}
        rows: list[int] = []
        cols: list[int] = []
        for i, doc in enumerate(docs):
            for term in doc:
                rows.append(i)
                cols.append(vocab.setdefault(term, len(vocab)))
        n = len(docs)
        tf = sp.csr_matrix(
            (np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=(n, max(len(vocab), 1))
        )
        tf.sum_duplicates()
        dl = np.asarray(tf.sum(axis=1)).ravel().astype(np.float32)
        avgdl = float(dl.mean()) if n and dl.mean() > 0 else 1.0
        df = np.bincount(tf.indices, minlength=tf.shape[1]).astype(np.float32)
        idf = np.log1p((n - df + 0.5) / (df + 0.5)).astype(np.float32)
        norm = self.k1 * (1.0 - self.b + self.b * dl / avgdl)
        row_of = np.repeat(np.arange(n), np.diff(tf.indptr))
        data = tf.data * (self.k1 + 1.0) / (tf.data + norm[row_of]) * idf[tf.indices]
        weights = sp.csr_matrix((data.astype(np.float32), tf.indices, tf.indptr), shape=tf.shape)
        self.vocab_ = vocab
        self.idf_ = idf
        self.weights_ = weights.tocsc()
        self.n_docs_ = n
        return self

    def term_ids(self, query: Sequence[str]) -> list[int]:
        return [self.vocab_[t] for t in dict.fromkeys(query) if t in self.vocab_]

    def scores(self, query: Sequence[str]) -> NDArray[np.float32]:
        ids = self.term_ids(query)
        if not ids or self.n_docs_ == 0:
            return np.zeros(self.n_docs_, dtype=np.float32)
        return np.asarray(self.weights_[:, ids].sum(axis=1), dtype=np.float32).ravel()

    def idf(self, term: str) -> float:
        j = self.vocab_.get(term)
        if j is None:  # unseen terms are as informative as the rarest seen term
            return float(self.idf_.max()) if self.idf_.size else 1.0
        return float(self.idf_[j])
