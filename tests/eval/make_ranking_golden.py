#!/usr/bin/env python3
"""Golden values for the full-ranking metrics (tests/eval/ranking_test.cpp, RankingGolden).

Random users of a rating matrix (items numbered from 0, no padding item) with known (training)
items and several held-out items each -- from 1 to more than the largest cut-off, so that both
min(k, H) branches are taken -- are scored with distinct integer scores (no ties: the reference
breaks ties in no specified order) and evaluated independently of rsdist:

* NDCG@k and Recall@k: Mult-VAE's official NDCG_binary_at_k_batch and Recall_at_k_batch
  (dawenl/vae_cf, VAE_ML20M_WWW2018.ipynb), with the known items' predictions set to -inf as its
  evaluation does, numpy's argpartition in place of bottleneck's and dense instead of sparse
  held-out matrices;
* HR@k: 1 when Recall_at_k_batch's hit count is > 0;
* MRR: 1 / (1 + the position of the first held-out item in a full argsort of the predictions).
Means over users are written with the inputs.

Needs numpy only:
    .venv/bin/python tests/eval/make_ranking_golden.py > tests/data/eval/ranking_golden.json
"""

import argparse
import json
import sys

import numpy as np


def ndcg_binary_at_k_batch(x_pred, heldout_batch, k=100):
    """vae_cf's NDCG_binary_at_k_batch (heldout_batch dense 0/1)."""
    batch_users = x_pred.shape[0]
    idx_topk_part = np.argpartition(-x_pred, k, axis=1)
    topk_part = x_pred[np.arange(batch_users)[:, np.newaxis], idx_topk_part[:, :k]]
    idx_part = np.argsort(-topk_part, axis=1)
    idx_topk = idx_topk_part[np.arange(batch_users)[:, np.newaxis], idx_part]
    tp = 1.0 / np.log2(np.arange(2, k + 2))
    dcg = (heldout_batch[np.arange(batch_users)[:, np.newaxis], idx_topk] * tp).sum(axis=1)
    idcg = np.array([(tp[: min(n, k)]).sum() for n in (heldout_batch > 0).sum(axis=1)])
    return dcg / idcg


def recall_at_k_batch(x_pred, heldout_batch, k=100):
    """vae_cf's Recall_at_k_batch, also returning the hit counts (for HR@k)."""
    batch_users = x_pred.shape[0]
    idx = np.argpartition(-x_pred, k, axis=1)
    x_pred_binary = np.zeros_like(x_pred, dtype=bool)
    x_pred_binary[np.arange(batch_users)[:, np.newaxis], idx[:, :k]] = True
    x_true_binary = heldout_batch > 0
    tmp = (np.logical_and(x_true_binary, x_pred_binary).sum(axis=1)).astype(np.float32)
    recall = tmp / np.minimum(k, x_true_binary.sum(axis=1))
    return recall, tmp


def reciprocal_ranks(x_pred, heldout_batch):
    order = np.argsort(-x_pred, axis=1, kind="stable")
    ranked_heldout = np.take_along_axis(heldout_batch, order, axis=1) > 0
    return 1.0 / (1.0 + ranked_heldout.argmax(axis=1))


def make_users(rng, num_users, num_items, max_cutoff):
    users = []
    heldout_sizes = [1, 1, 2, 3, 5, 10, max_cutoff + 20]
    for u in range(num_users):
        permutation = rng.permutation(num_items)
        num_known = int(rng.integers(0, 60))
        num_heldout = heldout_sizes[u % len(heldout_sizes)]
        heldout = permutation[num_known : num_known + num_heldout]
        # A model that is right some of the time: held-out items score higher on average. The
        # scores are the ranks of noisy keys, distinct integers 0..N-1.
        keys = rng.normal(0.0, 1.0, num_items)
        keys[heldout] += 1.5
        users.append(
            {
                "scores": [int(s) for s in np.argsort(np.argsort(keys))],
                "known": sorted(int(i) for i in permutation[:num_known]),
                "heldout": [int(i) for i in heldout],
            }
        )
    return users


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument("--users", type=int, default=48)
    parser.add_argument("--items", type=int, default=300)
    args = parser.parse_args()
    cutoffs = [1, 5, 10, 20, 50, 100]
    rng = np.random.default_rng(args.seed)
    users = make_users(rng, args.users, args.items, max(cutoffs))

    x_pred = np.array([u["scores"] for u in users], dtype=np.float64)
    heldout = np.zeros_like(x_pred)
    for row, u in enumerate(users):
        x_pred[row, u["known"]] = -np.inf
        heldout[row, u["heldout"]] = 1.0

    expected = {"mrr": float(reciprocal_ranks(x_pred, heldout).mean()), "users": len(users)}
    for k in cutoffs:
        recall, hits = recall_at_k_batch(x_pred, heldout, k)
        expected[f"hr{k}"] = float((hits > 0).mean())
        expected[f"recall{k}"] = float(recall.mean())
        expected[f"ndcg{k}"] = float(ndcg_binary_at_k_batch(x_pred, heldout, k).mean())

    json.dump(
        {
            "generator": "tests/eval/make_ranking_golden.py",
            "seed": args.seed,
            "numpy": np.__version__,
            "items": args.items,
            "cutoffs": cutoffs,
            "expected": expected,
            "users": users,
        },
        sys.stdout,
        separators=(",", ":"),
    )
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
