#!/usr/bin/env python3
"""Plain-PyTorch Mult-VAE peer: the training loop as the paper's code and RecBole write it.

Reads the `train` part of an rsdist ratings corpus (docs/corpus_ratings.md) with h5py and trains
the same model as `rsdist train --model multvae` ([I -> 600 -> 2 x 200], tanh, decoder
[200 -> 600 -> I]): each batch of --batch users is densified to a [B, I] 0/1 matrix (as the
paper's code's `X[idx].toarray()`), L2-normalised, dropped out (F.dropout, p 0.5), encoded by
nn.Linear layers, decoded, and scored by the multinomial log-likelihood sum(log_softmax * x) plus
0.2 * KL; Adam lr 1e-3. Timed: the median step (forward, backward, Adam; the densification
excluded) and users/s over the timed steps' wall time (densification included, as the loop runs
it). Then the full-ranking scores of --eval_users users. Prints a table; --json PATH gets the
figures. bench/multvae_bench.sh runs it next to build/bench/multvae_bench.

  .venv/bin/python bench/multvae_pytorch_peer.py --corpus DIR [--batch 500 --steps 40
      --warmup 3 --threads 2 --device cpu --fused_adam --json out.json]
"""
import argparse
import os
import sys
import time

import h5py
import numpy as np
import torch

from peer_support import write_json
import torch.nn as nn
import torch.nn.functional as F


class MultVae(nn.Module):
    def __init__(self, items, dims):
        super().__init__()
        q = [items] + dims
        p = q[::-1]
        self.encoder = nn.ModuleList(nn.Linear(a, b) for a, b in zip(q[:-1], q[1:-1] + [2 * q[-1]]))
        self.decoder = nn.ModuleList(nn.Linear(a, b) for a, b in zip(p[:-1], p[1:]))
        self.latent = dims[-1]

    def forward(self, x):
        h = F.dropout(F.normalize(x, dim=1), 0.5, training=self.training)
        for k, layer in enumerate(self.encoder):
            h = layer(h)
            if k + 1 < len(self.encoder):
                h = torch.tanh(h)
        mu, logvar = h[:, :self.latent], h[:, self.latent:]
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar) if self.training else mu
        for k, layer in enumerate(self.decoder):
            z = layer(z)
            if k + 1 < len(self.decoder):
                z = torch.tanh(z)
        return z, mu, logvar


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--dims", default="600,200")
    ap.add_argument("--batch", type=int, default=500)
    ap.add_argument("--steps", type=int, default=40)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--eval_users", type=int, default=2000)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--fused_adam", action="store_true")
    ap.add_argument("--json")
    a = ap.parse_args()
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    h5 = os.path.join(a.corpus, "ratings.h5")
    if not os.path.isfile(h5):
        sys.exit(f"multvae_pytorch_peer: error: {h5}: missing (not an rsdist ratings corpus)")
    with h5py.File(h5, "r") as f:
        offsets, items = f["train/offsets"][:], f["train/items"][:].astype(np.int64)
        num_items = len(f["item_ids/offsets"]) - 1
    sizes = np.diff(offsets)
    users = np.nonzero(sizes)[0]
    rng = np.random.default_rng(7)
    rng.shuffle(users)
    device = torch.device(a.device)
    torch.manual_seed(1)
    model = MultVae(num_items, [int(d) for d in a.dims.split(",")]).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, fused=True if a.fused_adam else None)

    def dense_rows(batch_users):
        x = np.zeros((len(batch_users), num_items), dtype=np.float32)
        for r, u in enumerate(batch_users):
            x[r, items[offsets[u]:offsets[u + 1]]] = 1.0
        return torch.from_numpy(x).to(device)

    def sync():
        if device.type == "cuda":
            torch.cuda.synchronize()

    model.train()
    times, timed_users = [], 0
    total = a.warmup + a.steps
    wall = time.perf_counter()
    for s in range(total):
        if s == a.warmup:
            wall = time.perf_counter()
        start = (s * a.batch) % len(users)
        batch_users = np.take(users, range(start, start + a.batch), mode="wrap")
        x = dense_rows(batch_users)
        t0 = time.perf_counter()
        logits, mu, logvar = model(x)
        neg_ll = -(F.log_softmax(logits, 1) * x).sum(1).mean()
        kl = (0.5 * (-logvar + torch.exp(logvar) + mu ** 2 - 1)).sum(1).mean()
        loss = neg_ll + 0.2 * kl
        opt.zero_grad()
        loss.backward()
        opt.step()
        sync()
        if s >= a.warmup:
            times.append(time.perf_counter() - t0)
            timed_users += len(batch_users)
    wall = time.perf_counter() - wall

    model.eval()
    eval_users = users[: a.eval_users] if a.eval_users > 0 else users
    t0 = time.perf_counter()
    with torch.no_grad():
        for first in range(0, len(eval_users), 1024):
            chunk = eval_users[first:first + 1024]
            x = dense_rows(chunk)
            scores = model(x)[0]
            scores[x > 0] = -float("inf")
            torch.topk(scores, 100, dim=1)
    sync()
    eval_s = time.perf_counter() - t0

    parameters = sum(p.numel() for p in model.parameters())
    out = {
        "corpus": a.corpus, "items": num_items, "train_users": int(len(users)),
        "parameters": parameters, "batch": a.batch, "threads": torch.get_num_threads(),
        "device": str(device), "fused_adam": a.fused_adam,
        "step_ms_median": 1000 * float(np.median(times)),
        "users_per_second": timed_users / wall,
        "eval_users_per_second": len(eval_users) / eval_s,
    }
    print(f"Mult-VAE plain PyTorch on {a.corpus}: {len(users)} users, {num_items} items, "
          f"{parameters} parameters, batch {a.batch}, {out['threads']} thread(s), {device}")
    for key in ("step_ms_median", "users_per_second", "eval_users_per_second"):
        print(f"{key:<30} {out[key]:>12.3f}")
    if a.json:
        write_json(a.json, out)


if __name__ == "__main__":
    main()
