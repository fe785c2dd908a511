#!/usr/bin/env python3
"""Golden values for the MIND impression metrics (tests/eval/mind_metrics_test.cpp).

Random impressions (varied sizes, several clicks, ties, all-equal scores, a few with one class
only) are ranked and scored the way the MIND leaderboard does it, independently of rsdist:

* ranks: sort the candidates by score, descending, with Python's stable sort (equal scores keep
  candidate order), rank = 1-based position;
* per impression, with y_score = 1 / rank: AUC = sklearn.metrics.roc_auc_score, MRR and nDCG@k
  with numpy as MIND's evaluate.py defines them (argsort of the score, descending; gains
  2^y - 1, discounts log2(i + 2) over the top k; nDCG = DCG(score) / DCG(ideal));
* means over impressions. roc_auc_score raises on an impression with one class only; those are
  recorded as skipped (rsdist skips them for every metric) and left out of the means.

Needs numpy and scikit-learn, in a throwaway virtual environment (not the project's):
    python3 -m venv /tmp/skl && /tmp/skl/bin/pip install scikit-learn numpy
    /tmp/skl/bin/python tests/eval/make_golden.py > tests/data/eval/mind_golden.json
"""

import argparse
import json
import sys

import numpy as np
import sklearn
from sklearn.metrics import roc_auc_score


def reference_ranks(scores):
    keyed = [(score, candidate) for candidate, score in enumerate(scores)]
    keyed.sort(key=lambda pair: pair[0], reverse=True)  # stable, also with reverse=True
    ranks = [0] * len(scores)
    for position, (_, candidate) in enumerate(keyed):
        ranks[candidate] = position + 1
    return ranks


def dcg_at(y_true, y_score, k):
    order = np.argsort(y_score)[::-1][:k]
    gains = 2 ** np.take(y_true, order) - 1
    discounts = np.log2(np.arange(len(order)) + 2)
    return float(np.sum(gains / discounts))


def ndcg_at(y_true, y_score, k):
    return dcg_at(y_true, y_score, k) / dcg_at(y_true, y_true, k)


def mean_reciprocal_rank(y_true, y_score):
    ordered = np.take(y_true, np.argsort(y_score)[::-1])
    return float(np.sum(ordered / (np.arange(len(ordered)) + 1)) / np.sum(ordered))


def draw_scores(rng, size, style):
    if style == "continuous":  # sigmoid-like model outputs
        values = 1.0 / (1.0 + np.exp(-rng.normal(0.0, 2.0, size)))
    elif style == "logits":  # raw logits, negative and positive
        values = rng.normal(0.0, 3.0, size)
    elif style == "coarse":  # quarter steps: many ties, -0.0 and 0.0 among them
        values = np.round(rng.uniform(-1.0, 1.0, size) * 4.0) / 4.0
    elif style == "two_values":
        values = rng.choice([0.25, 0.75], size)
    else:  # "all_equal"
        values = np.full(size, 0.5)
    return [float(np.float32(v)) for v in values]  # float32 values, exact in JSON and in C++


def draw_labels(rng, size, kind):
    if kind == "only_negatives":
        return [0] * size
    if kind == "only_positives":
        return [1] * size
    positives = int(rng.integers(1, max(1, size // 3) + 1))
    labels = [1] * positives + [0] * (size - positives)
    rng.shuffle(labels)
    return [int(v) for v in labels]


def make_impression(rng, index):
    kind = "mixed"
    if index % 40 == 7:
        kind = "only_negatives"
    elif index % 40 == 23:
        kind = "only_positives"
    size = int(rng.integers(2, 51)) if kind == "mixed" else int(rng.integers(1, 6))
    styles = ["continuous", "logits", "coarse", "two_values", "all_equal"]
    style = styles[int(rng.choice(len(styles), p=[0.35, 0.25, 0.25, 0.1, 0.05]))]
    scores = draw_scores(rng, size, style)
    labels = draw_labels(rng, size, kind)
    ranks = reference_ranks(scores)
    impression = {"scores": scores, "labels": labels, "ranks": ranks}
    if kind != "mixed":
        impression["skipped"] = True
        return impression
    y_true = np.array(labels, dtype="float32")
    y_score = [1.0 / r for r in ranks]
    impression["skipped"] = False
    impression["auc"] = float(roc_auc_score(y_true, y_score))
    impression["mrr"] = mean_reciprocal_rank(y_true, y_score)
    impression["ndcg5"] = ndcg_at(y_true, y_score, 5)
    impression["ndcg10"] = ndcg_at(y_true, y_score, 10)
    return impression


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=20240611)
    parser.add_argument("--impressions", type=int, default=200)
    args = parser.parse_args()

    rng = np.random.default_rng(args.seed)
    impressions = [make_impression(rng, i) for i in range(args.impressions)]
    scored = [imp for imp in impressions if not imp["skipped"]]
    mean = {name: float(np.mean([imp[name] for imp in scored]))
            for name in ("auc", "mrr", "ndcg5", "ndcg10")}
    mean["impressions"] = len(scored)
    mean["skipped"] = len(impressions) - len(scored)

    header = {
        "generator": "tests/eval/make_golden.py",
        "seed": args.seed,
        "numpy": np.__version__,
        "scikit_learn": sklearn.__version__,
        "mean": mean,
    }
    out = sys.stdout
    out.write("{\n")
    for key, value in header.items():
        out.write(f"{json.dumps(key)}: {json.dumps(value)},\n")
    out.write('"impressions": [\n')
    out.write(",\n".join(json.dumps(imp, separators=(",", ":")) for imp in impressions))
    out.write("\n]\n}\n")


if __name__ == "__main__":
    main()
