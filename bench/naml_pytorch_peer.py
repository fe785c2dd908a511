#!/usr/bin/env python3
"""Eager-PyTorch NAML peer: the plain-PyTorch reference model of the parity test
(tests/models/naml_reference.py: NNR's NAML, each history and candidate slot's article encoded on
its own) trained on random batches of the given shapes, timed step by step.

The shapes default to configs/naml_mind_small.ini (batch 64, history 50, 1 + 4 candidates, title
32 and abstract 128 words, 400 filters of width 3, attention 200, category embeddings 50, 300-d
words); --corpus DIR takes the vocabulary, category counts and word size from a MIND corpus's
manifest.json so that the embedding tables (and their Adam state) match rsdist's. A step is the
forward, NNR's softmax loss over the candidates, backward, clip_grad_norm_(4) and Adam (lr 1e-4),
as rsdist trains. Prints a table; --json PATH gets the figures; scripts/device_check.sh compares
it with rsdist's samples/s on the same device.

  python3 bench/naml_pytorch_peer.py [--corpus DIR] [--device cuda] [--steps 30] [--bf16]
"""
import argparse
import json
import os
import sys

import torch

from peer_support import load_test_reference, median_step_seconds, write_json

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus")
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--history", type=int, default=50)
    ap.add_argument("--candidates", type=int, default=5)
    ap.add_argument("--title", type=int, default=32)
    ap.add_argument("--abstract", type=int, default=128)
    ap.add_argument("--kernels", type=int, default=400)
    ap.add_argument("--attention", type=int, default=200)
    ap.add_argument("--words", type=int, default=70000)
    ap.add_argument("--word_dim", type=int, default=300)
    ap.add_argument("--categories", type=int, default=18)
    ap.add_argument("--subcategories", type=int, default=270)
    ap.add_argument("--bf16", action="store_true", help="bf16 autocast (CUDA)")
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--json")
    a = ap.parse_args()
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    if a.corpus:
        counts = json.load(open(os.path.join(a.corpus, "manifest.json")))["counts"]
        a.words, a.word_dim = counts["words"], counts["word_dim"]
        a.categories, a.subcategories = counts["categories"], counts["subcategories"]
    ref = load_test_reference("naml_reference")
    device = torch.device(a.device)
    torch.manual_seed(1)
    shapes = {"news_encoder.word_embedding.weight": (a.words, a.word_dim),
              "news_encoder.title_conv.weight": (a.kernels, a.word_dim, 3),
              "news_encoder.title_attention.affine1.weight": (a.attention, a.kernels),
              "news_encoder.category_embedding.weight": (a.categories, 50),
              "news_encoder.subcategory_embedding.weight": (a.subcategories, 50)}
    model = ref.Naml({k: torch.empty(s) for k, s in shapes.items()}, False, True).to(device)
    model.train()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-4)
    slots = a.batch * (a.history + a.candidates)

    def batch():
        g = torch.Generator().manual_seed(7)
        news = {"title": torch.randint(1, a.words, (slots, a.title), generator=g),
                "abstract": torch.randint(1, a.words, (slots, a.abstract), generator=g),
                "category": torch.randint(0, a.categories, (slots,), generator=g),
                "subcategory": torch.randint(0, a.subcategories, (slots,), generator=g)}
        index = torch.arange(slots).view(a.batch, a.history + a.candidates)
        history, candidates = index[:, :a.history], index[:, a.history:]
        mask = torch.ones(a.batch, a.history, dtype=torch.bool)
        move = lambda t: t.to(device)  # noqa: E731
        return ({k: move(v) for k, v in news.items()}, move(history), move(mask), move(candidates))

    inputs = batch()

    def step():
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=a.bf16):
            logits = model(*inputs)
        loss = ref.negative_log_softmax(logits.float())
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 4.0)
        optimizer.step()

    median, _ = median_step_seconds(step, a.warmup, a.steps, device)
    out = {"device": str(device), "bf16": a.bf16, "batch": a.batch, "words": a.words,
           "word_dim": a.word_dim, "step_ms_median": 1000 * median,
           "samples_per_second": a.batch / median}
    print(f"NAML eager PyTorch (reference model) on {device}{' bf16' if a.bf16 else ''}: batch "
          f"{a.batch}, {a.words} words x {a.word_dim}: step {1000 * median:.1f} ms, "
          f"{a.batch / median:.1f} samples/s")
    if a.json:
        write_json(a.json, out)


if __name__ == "__main__":
    sys.exit(main())
