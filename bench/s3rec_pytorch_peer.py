#!/usr/bin/env python3
"""Eager-PyTorch S3-Rec peer: the parity test's plain-PyTorch model of the official structure
(tests/models/s3rec_reference.py) trained on the very batches and weights that
build/bench/s3rec_bench exported (--export PATH), timed step by step on --device.

Two stages, each on a model freshly built from the exported weights with its own Adam (lr 1e-3, as
the official trainers), in training mode with config/dropout (0.5 when absent) on hidden states and
attention probabilities:
  pretrain  pretrain() on the exported batch (four encoder passes), the joint loss weighted by
            config/weights, zero_grad, backward, step
  finetune  finetune() + the official cross-entropy on the exported batch, zero_grad, backward, step
Compare each with s3rec_bench's step of the same stage.

  python3 bench/s3rec_pytorch_peer.py EXPORT [--device cuda] [--steps 10] [--warmup 2]
                                      [--threads N] [--json out.json]
"""
import sys

import torch

from peer_support import (export_peer_arguments, load_test_reference, median_step_seconds,
                          write_json)


def main():
    a = export_peer_arguments(__doc__)
    ref = load_test_reference("s3rec_reference")
    device = torch.device(a.device)
    data = torch.load(a.export, weights_only=True)
    params = {k[len("params/"):]: v for k, v in data.items() if k.startswith("params/")}
    heads = int(data["config/heads"].item())
    dropout = float(data["config/dropout"].item()) if "config/dropout" in data else 0.5
    weights = data["config/weights"].tolist()

    def fresh_model():
        model = ref.build_model(params, heads, dropout).to(device).train()
        return model, torch.optim.Adam(model.parameters(), lr=1e-3)

    def batch(prefix, keys):
        return [data[prefix + k].to(device) for k in keys]

    def timed(loss_of, model, optimizer):
        def step():
            loss = loss_of(model)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            return loss
        return median_step_seconds(step, a.warmup, a.steps, device)[0]

    pretrain = batch("pretrain/", ref.PRETRAIN_KEYS)
    input_ids, target_pos, target_neg = batch("finetune/", ("input_ids", "target_pos",
                                                            "target_neg"))
    stages = {
        "pretrain": (pretrain[1].shape[0], timed(
            lambda m: sum(w * l for w, l in zip(weights, m.pretrain(*pretrain))),
            *fresh_model())),
        "finetune": (input_ids.shape[0], timed(
            lambda m: ref.finetune_loss(m, m.finetune(input_ids), target_pos, target_neg),
            *fresh_model())),
    }
    out = {"device": str(device), "threads": torch.get_num_threads()}
    print(f"S3-Rec eager PyTorch (reference model) on {device}, {out['threads']} threads, "
          f"dropout {dropout}")
    print(f"{'stage':<10}{'batch':>7}{'median step ms':>16}{'samples/s':>12}")
    for stage, (size, median) in stages.items():
        out[stage] = {"batch": size, "median_step_ms": 1000 * median,
                      "samples_per_s": size / median}
        print(f"{stage:<10}{size:>7}{1000 * median:>16.2f}{size / median:>12.1f}")
    if a.json:
        write_json(a.json, out)


if __name__ == "__main__":
    sys.exit(main())
