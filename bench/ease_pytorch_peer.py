#!/usr/bin/env python3
"""Plain-PyTorch EASE peer: the fit as users write it in Python, timed phase by phase.

Reads the `train` part of an rsdist ratings corpus (docs/corpus_ratings.md) with h5py, builds the
binary user x item matrix X as a torch sparse COO tensor, and times
  * gram:  G = X^T X (torch.sparse.mm, densified), the usual way to avoid a dense X;
  * solve: P = torch.linalg.inv(G + lambda I) (the general inverse EASE code usually calls),
           B = -P / diag(P), diag(B) = 0;
on --device (cpu or cuda) with --threads intra-op threads. bench/ease_bench.sh runs it next to
`rsdist train --model ease` on the same corpus. Prints a table; --json PATH gets the figures.

  .venv/bin/python bench/ease_pytorch_peer.py --corpus DIR [--lambda 250 --threads 2
      --device cpu --json out.json]
"""
import argparse
import os
import sys
import time

import h5py
import numpy as np
import torch

from peer_support import write_json


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--lambda", dest="lam", type=float, default=250.0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--json")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    h5 = os.path.join(a.corpus, "ratings.h5")
    if not os.path.isfile(h5):
        sys.exit(f"ease_pytorch_peer: error: {h5}: missing (not an rsdist ratings corpus)")
    t0 = time.perf_counter()
    with h5py.File(h5, "r") as f:
        offsets, items = f["train/offsets"][:], f["train/items"][:]
        num_items = len(f["item_ids/offsets"]) - 1
    users = len(offsets) - 1
    rows = np.repeat(np.arange(users), np.diff(offsets))
    device = torch.device(a.device)
    x = torch.sparse_coo_tensor(np.stack([rows, items.astype(np.int64)]),
                                torch.ones(len(items)), (users, num_items)).coalesce().to(device)
    read_s = time.perf_counter() - t0

    def sync():
        if device.type == "cuda":
            torch.cuda.synchronize()

    t0 = time.perf_counter()
    gram = torch.sparse.mm(x.t(), x).to_dense()
    sync()
    gram_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    p = torch.linalg.inv(gram + a.lam * torch.eye(num_items, device=device))
    b = -p / torch.diag(p)
    b.fill_diagonal_(0.0)
    sync()
    solve_s = time.perf_counter() - t0
    res = {"corpus": os.path.abspath(a.corpus), "users": users, "items": num_items,
           "interactions": int(len(items)), "lambda": a.lam, "threads": a.threads,
           "device": str(device), "torch_version": torch.__version__, "read_s": read_s,
           "gram_s": gram_s, "solve_s": solve_s, "fit_s": gram_s + solve_s,
           "b_abs_sum": float(b.abs().sum())}
    for k in ("read_s", "gram_s", "solve_s", "fit_s"):
        print(f"  {k:<8} {res[k]:9.2f} s")
    if a.json:
        write_json(a.json, res)


if __name__ == "__main__":
    main()
