#!/usr/bin/env python3
"""Plain-PyTorch NeuMF peer: training throughput and evaluation speed on an rsdist ratings corpus.

The reference point a benchmark compares rsdist's NeuMF against. Reads a corpus written by
`rsdist preprocess ratings --split loo` (docs/corpus_ratings.md), builds NeuMF/GMF/MLP as in
He et al. (WWW 2017) with the official code's defaults, and measures:

  * training: samples/s (samples = instances incl. negatives) and the median step time over
    --steps timed steps (after --warmup untimed ones) of batch --batch_size, Adam --lr, BCE loss;
  * negative sampling: seconds to draw one epoch's --negatives per positive (vectorised
    rejection sampling), and seconds to assemble + shuffle that epoch, reported separately;
  * sampled evaluation on `test`: the test item against its stored candidates
    (`negatives/test`), HR@10 / NDCG@10 and users/s;
  * full-ranking evaluation on `test`: every item scored, train+valid items masked,
    HR@10 / NDCG@10 and users/s. --eval_users K limits both to the first K users with a test
    item (default 0: all of them).

With --epochs K > 0 it instead trains K full epochs (fresh negatives each), printing sampled
HR@10/NDCG@10 on test after each, to check that the peer learns; the evaluation timings follow.

A bench script calls it once per configuration and reads the JSON, e.g.
  .venv/bin/python bench/neumf_pytorch_peer.py --corpus /tmp/peer-ml100k --threads 1 \
      --steps 2000 --json bench/neumf_peer.json
It prints a table to stdout; --json PATH gets every figure plus the configuration (written to
PATH.tmp, then renamed). Exit code 1 with a message naming the file on a bad corpus.
"""
import argparse
import math
import os
import sys
import time

import h5py
import numpy as np
import torch

from peer_support import write_json
import torch.nn as nn


def die(msg):
    print(f"neumf_pytorch_peer: error: {msg}", file=sys.stderr)
    sys.exit(1)


def load_corpus(d):
    h5 = os.path.join(d, "ratings.h5")
    if not os.path.isdir(d):
        die(f"{d}: no such corpus directory")
    for p in (h5, os.path.join(d, "manifest.json")):
        if not os.path.isfile(p):
            die(f"{p}: missing (not a complete `rsdist preprocess ratings` corpus)")
    need = ["item_ids/offsets", "negatives/test"] + [
        f"{p}/{k}" for p in ("train", "valid", "test") for k in ("offsets", "items")]
    try:
        f = h5py.File(h5, "r")
    except OSError as e:
        die(f"{h5}: cannot open as HDF5 ({e})")
    with f:
        if f.attrs.get("kind") != "ratings":
            die(f"{h5}: root attribute kind is {f.attrs.get('kind')!r}, expected 'ratings'")
        if f.attrs.get("split") != "loo":
            die(f"{h5}: split is {f.attrs.get('split')!r}; NeuMF's protocol needs --split loo")
        for k in need:
            if k not in f:
                hint = " (corpus made with --negatives 0?)" if k.startswith("negatives") else ""
                die(f"{h5}: dataset {k} missing{hint}")
        c = {k.replace("/", "_"): f[k][:] for k in need}
    c["num_items"] = len(c.pop("item_ids_offsets")) - 1
    U = c["num_users"] = len(c["train_offsets"]) - 1
    bad = [f"{p}/offsets" for p in ("valid", "test") if c[f"{p}_offsets"].shape != (U + 1,)]
    neg = c["negatives_test"].shape
    if bad or len(neg) != 2 or neg[0] != U or neg[1] == 0:
        die(f"{h5}: {', '.join(bad) or f'negatives/test {neg}'} does not fit {U} users")
    return c


def csr_rows(offsets, items, users):
    """(row index into `users`, item) for every entry of the given users' CSR rows, vectorised."""
    starts, lens = offsets[users], offsets[users + 1] - offsets[users]
    row = np.repeat(np.arange(len(users)), lens)
    first = np.repeat(np.cumsum(lens) - lens, lens)
    return row, items[np.repeat(starts, lens) + np.arange(lens.sum()) - first]


class NeuMF(nn.Module):
    def __init__(self, model, users, items, factors, layers, sparse=False):
        super().__init__()
        self.model = model
        out_dim = 0
        if model in ("gmf", "neumf"):
            self.gmf_u = nn.Embedding(users, factors, sparse=sparse)
            self.gmf_i = nn.Embedding(items, factors, sparse=sparse)
            out_dim += factors
        if model in ("mlp", "neumf"):
            self.mlp_u = nn.Embedding(users, layers[0] // 2, sparse=sparse)
            self.mlp_i = nn.Embedding(items, layers[0] // 2, sparse=sparse)
            tower = []
            for a, b in zip(layers[:-1], layers[1:]):
                tower += [nn.Linear(a, b), nn.ReLU()]
            self.tower = nn.Sequential(*tower)
            out_dim += layers[-1]
        self.out = nn.Linear(out_dim, 1)
        for m in self.modules():
            if isinstance(m, nn.Embedding):
                nn.init.normal_(m.weight, 0.0, 0.01)
            elif isinstance(m, nn.Linear) and m is not self.out:
                nn.init.xavier_uniform_(m.weight)
                nn.init.zeros_(m.bias)
        bound = math.sqrt(3.0 / out_dim)  # lecun_uniform
        nn.init.uniform_(self.out.weight, -bound, bound)
        nn.init.zeros_(self.out.bias)

    def forward(self, u, i):
        parts = []
        if self.model != "mlp":
            parts.append(self.gmf_u(u) * self.gmf_i(i))
        if self.model != "gmf":
            parts.append(self.tower(torch.cat([self.mlp_u(u), self.mlp_i(i)], 1)))
        return self.out(parts[0] if len(parts) == 1 else torch.cat(parts, 1)).squeeze(1)


class Sampler:
    """Training instances: positives of `train` plus `neg` uniform non-train items per positive."""

    def __init__(self, c, neg, seed):
        self.I, self.neg = c["num_items"], neg
        off = c["train_offsets"]
        # int32 instance arrays (nn.Embedding takes them) halve the memory and shuffle time
        self.pos_u = np.repeat(np.arange(c["num_users"], dtype=np.int32), np.diff(off))
        self.pos_i = c["train_items"].astype(np.int32)
        if np.diff(off).max(initial=0) >= self.I and neg > 0:
            die("a user has every item in train; no negatives can be drawn")
        # sorted user*I+item keys of the training positives, for membership by searchsorted
        self.keys = np.sort(self.pos_u.astype(np.int64) * self.I + self.pos_i)
        self.rng = np.random.default_rng(seed)

    def negatives(self, chunk=1 << 22):
        users = np.repeat(self.pos_u, self.neg)
        out = np.empty(len(users), dtype=np.int32)
        for s in range(0, len(users), chunk):  # chunked only to bound memory on ML-20M sizes
            u = users[s:s + chunk].astype(np.int64)
            it = self.rng.integers(0, self.I, size=len(u))
            todo = np.arange(len(u))
            while todo.size:  # rejection: redraw those that hit a training item of their user
                k = u[todo] * self.I + it[todo]
                pos = np.minimum(np.searchsorted(self.keys, k), len(self.keys) - 1)
                todo = todo[self.keys[pos] == k]
                it[todo] = self.rng.integers(0, self.I, size=todo.size)
            out[s:s + chunk] = it
        return users, out

    def epoch(self, device):
        """Returns (u, i, y) tensors in shuffled order, sample seconds, assemble+shuffle seconds."""
        t0 = time.perf_counter()
        nu, ni = self.negatives()
        t1 = time.perf_counter()
        u = np.concatenate([self.pos_u, nu])
        i = np.concatenate([self.pos_i, ni])
        y = np.concatenate([np.ones(len(self.pos_u), np.float32), np.zeros(len(nu), np.float32)])
        perm = self.rng.permutation(len(u))
        u, i, y = (torch.from_numpy(a[perm]).to(device) for a in (u, i, y))
        return (u, i, y), t1 - t0, time.perf_counter() - t1


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize()


def make_step(model, opts, lossf):
    def step(u, i, y):
        for o in opts:
            o.zero_grad(set_to_none=True)
        loss = lossf(model(u, i), y)
        loss.backward()
        for o in opts:
            o.step()
        return loss
    return step


def result(users, sec, ranks):
    hr, ndcg = metrics(np.concatenate(ranks)) if ranks else (float("nan"),) * 2
    return {"users": len(users), "seconds": sec, "users_per_s": len(users) / max(sec, 1e-12),
            "hr10": hr, "ndcg10": ndcg}


def metrics(rank):
    """HR@10 and NDCG@10 from 0-based ranks of the held-out item."""
    hit = rank < 10
    return float(hit.mean()), float(np.where(hit, 1.0 / np.log2(rank + 2.0), 0.0).mean())


@torch.no_grad()
def eval_sampled(model, c, users, bs, device):
    """Test item + its stored candidates per user. rank = number of candidates with a strictly
    greater score than the test item, i.e. ties are counted optimistically (in its favour)."""
    model.eval()
    sync(device)
    t0 = time.perf_counter()
    test_item = c["test_items"][c["test_offsets"][users]]
    cand = np.concatenate([test_item[:, None], c["negatives_test"][users]], 1).astype(np.int64)
    ranks = []
    for s in range(0, len(users), bs):
        cu = torch.from_numpy(cand[s:s + bs]).to(device)
        uu = torch.from_numpy(users[s:s + bs].astype(np.int64)).to(device)
        sc = model(uu.repeat_interleave(cu.shape[1]), cu.reshape(-1)).view(cu.shape)
        ranks.append((sc[:, 1:] > sc[:, :1]).sum(1).cpu().numpy())
    sync(device)
    model.train()
    return result(users, time.perf_counter() - t0, ranks)


@torch.no_grad()
def eval_full(model, c, users, device, chunk_pairs=1 << 20):
    """Every item scored; the user's train+valid items set to -inf; rank as in eval_sampled."""
    model.eval()
    I = c["num_items"]
    per = max(1, chunk_pairs // I)  # users per chunk, so that one chunk scores ~chunk_pairs pairs
    all_items = torch.arange(I, device=device)
    sync(device)
    t0 = time.perf_counter()
    ranks = []
    for s in range(0, len(users), per):
        us = users[s:s + per]
        uu = torch.from_numpy(us.astype(np.int64)).to(device)
        sc = model(uu.repeat_interleave(I), all_items.repeat(len(us))).view(len(us), I)
        for p in ("train", "valid"):
            r, it = csr_rows(c[f"{p}_offsets"], c[f"{p}_items"], us)
            sc[torch.from_numpy(r).to(device), torch.from_numpy(it.astype(np.int64)).to(device)] = \
                -math.inf
        ti = torch.from_numpy(c["test_items"][c["test_offsets"][us]].astype(np.int64)).to(device)
        pos = sc.gather(1, ti[:, None])
        ranks.append((sc > pos).sum(1).cpu().numpy())
    sync(device)
    model.train()
    return result(users, time.perf_counter() - t0, ranks)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", required=True, help="dir written by rsdist preprocess ratings")
    ap.add_argument("--model", choices=["gmf", "mlp", "neumf"], default="neumf")
    ap.add_argument("--layers", default="64,32,16,8", help="MLP sizes; embeddings are layers[0]/2")
    for name, typ, default in (("factors", int, 8), ("negatives", int, 4), ("batch_size", int, 256),
                               ("lr", float, 1e-3), ("threads", int, 1), ("steps", int, 2000),
                               ("warmup", int, 50), ("epochs", int, 0), ("seed", int, 1),
                               ("eval_batch_size", int, 1024), ("eval_users", int, 0)):
        ap.add_argument(f"--{name}", type=typ, default=default, help=f"default {default}")
    ap.add_argument("--sparse_adam", action="store_true",
                    help="sparse embedding gradients + torch SparseAdam (lazy) for the embeddings; "
                         "default: dense Adam over all parameters, as the official Keras code")
    ap.add_argument("--fused_adam", action="store_true",
                    help="torch.optim.Adam(fused=True): the fused kernel rsdist's trainer runs")
    ap.add_argument("--device", default="cpu", help="cpu (default) or cuda")
    ap.add_argument("--json", help="write the figures and configuration here")
    a = ap.parse_args()
    layers = [int(x) for x in a.layers.split(",")]
    if len(layers) < 1 or layers[0] % 2 or min(layers) <= 0:
        die(f"--layers {a.layers}: need positive sizes, the first even")
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    device = torch.device(a.device)

    c = load_corpus(a.corpus)
    U, I = c["num_users"], c["num_items"]
    sampler = Sampler(c, a.negatives, a.seed)
    model = NeuMF(a.model, U, I, a.factors, layers, a.sparse_adam).to(device)
    emb = [m.weight for m in model.modules() if isinstance(m, nn.Embedding)]
    dense = [p for p in model.parameters() if all(p is not e for e in emb)]
    opts = ([torch.optim.SparseAdam(emb, lr=a.lr), torch.optim.Adam(dense, lr=a.lr)]
            if a.sparse_adam else
            [torch.optim.Adam(model.parameters(), lr=a.lr, fused=a.fused_adam or None)])
    step = make_step(model, opts, nn.BCEWithLogitsLoss())
    has_test = (np.diff(c["test_offsets"]) == 1) & (c["negatives_test"][:, 0] >= 0)
    eval_users = np.flatnonzero(has_test)
    if a.eval_users > 0:
        eval_users = eval_users[:a.eval_users]

    res = {"config": dict(
        vars(a), layers=layers, device=str(device), torch_version=torch.__version__,
        corpus=os.path.abspath(a.corpus), users=U, items=I, train_positives=len(sampler.pos_u),
        eval_candidates=int(c["negatives_test"].shape[1]), eval_users_timed=len(eval_users),
        parameters=sum(p.numel() for p in model.parameters()))}
    print(f"corpus {a.corpus}: {U} users, {I} items, {len(sampler.pos_u)} train positives; "
          f"model {a.model} factors {a.factors} layers {layers}"
          f"{' sparse Adam' if a.sparse_adam else ''}; torch {torch.__version__}, "
          f"{a.threads} thread(s), {device}")

    bs = a.batch_size
    if a.epochs > 0:
        hist = []
        for ep in range(1, a.epochs + 1):
            (u, i, y), t_neg, t_shuf = sampler.epoch(device)
            sync(device)
            t0, tot, n = time.perf_counter(), torch.zeros((), device=device), 0
            for s in range(0, len(u), bs):
                tot += step(u[s:s + bs], i[s:s + bs], y[s:s + bs]).detach() * len(u[s:s + bs])
                n += len(u[s:s + bs])
            sync(device)
            t_train = time.perf_counter() - t0
            ev = eval_sampled(model, c, eval_users, a.eval_batch_size, device)
            hist.append({"epoch": ep, "loss": float(tot) / n, "train_s": t_train,
                         "sample_s": t_neg, "shuffle_s": t_shuf,
                         "samples_per_s": n / t_train, "hr10": ev["hr10"], "ndcg10": ev["ndcg10"]})
            print(f"epoch {ep:3d}  loss {hist[-1]['loss']:.4f}  train {t_train:7.2f} s "
                  f"({n / t_train:,.0f} samples/s)  negatives {t_neg:.2f} s  "
                  f"sampled HR@10 {ev['hr10']:.4f}  NDCG@10 {ev['ndcg10']:.4f}")
        res["epochs"] = hist
    else:
        (u, i, y), t_neg, t_shuf = sampler.epoch(device)
        nb = (len(u) + bs - 1) // bs
        times = []
        for k in range(a.warmup + a.steps):  # cycles over the epoch if it has fewer batches
            s = (k % nb) * bs
            sync(device)
            t0 = time.perf_counter()
            step(u[s:s + bs], i[s:s + bs], y[s:s + bs])
            sync(device)
            times.append(time.perf_counter() - t0)
        timed = np.array(times[a.warmup:])
        # samples in the timed steps (a short last batch of the epoch counts its real size)
        n = sum(min(bs, len(u) - (k % nb) * bs) for k in range(a.warmup, a.warmup + a.steps))
        res["train"] = {"timed_steps": a.steps, "samples": n, "seconds": float(timed.sum()),
                        "samples_per_s": n / max(float(timed.sum()), 1e-12),
                        "median_step_ms": float(np.median(timed)) * 1e3 if a.steps else math.nan,
                        "epoch_instances": len(u), "epoch_negative_sampling_s": t_neg,
                        "epoch_assemble_shuffle_s": t_shuf}
    res["eval_sampled"] = eval_sampled(model, c, eval_users, a.eval_batch_size, device)
    res["eval_full"] = eval_full(model, c, eval_users, device)

    rows, t = [], res.get("train")
    if t:
        rows += [("train samples/s", f"{t['samples_per_s']:,.0f}"),
                 ("median step ms", f"{t['median_step_ms']:.3f}"),
                 ("negatives / epoch s", f"{t['epoch_negative_sampling_s']:.3f}"),
                 ("assemble+shuffle s", f"{t['epoch_assemble_shuffle_s']:.3f}")]
    for key, name in (("eval_sampled", f"sampled 1+{res['config']['eval_candidates']}"),
                      ("eval_full", "full ranking")):
        e = res[key]
        rows += [(f"{name} users/s", f"{e['users_per_s']:,.0f} ({e['users']} users)"),
                 (f"{name} HR@10/NDCG@10", f"{e['hr10']:.4f} / {e['ndcg10']:.4f}")]
    for k, v in rows:
        print(f"  {k:<{max(len(r[0]) for r in rows)}}  {v}")
    if a.json:
        write_json(a.json, res)


if __name__ == "__main__":
    main()
