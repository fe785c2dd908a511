#!/usr/bin/env python3
"""Eager-PyTorch GCL4SR peer: the parity test's plain-PyTorch model of the official structure
(tests/models/gcl4sr_reference.py) trained on the very batch, views and weights that
build/bench/gcl4sr_bench exported (--export PATH), timed step by step on --device.

Each view is the one block rsdist's model reads (the official code samples a second, outer hop and
computes it to no effect: Note [The one block GCL4SR uses]), so this peer does no more graph work
than rsdist; a step is the forward, the three losses (lambda_gcl 1, lambda_mmd 0.1, temperature
1 as the official defaults), backward and Adam (lr 1e-3, weight decay 5e-5, as the bench), in
training mode (dropout on). Compare its step with gcl4sr_bench's forward+losses + backward + adam.

  python3 bench/gcl4sr_pytorch_peer.py EXPORT [--device cuda] [--steps 10] [--json out.json]
"""
import sys

import torch

from peer_support import (export_peer_arguments, load_test_reference, median_step_seconds,
                          write_json)

def main():
    a = export_peer_arguments(__doc__)
    ref = load_test_reference("gcl4sr_reference")
    device = torch.device(a.device)
    data = torch.load(a.export, weights_only=True)
    c = {k[len("config/"):]: v.item() for k, v in data.items() if k.startswith("config/")}
    hidden, max_len = int(c["hidden"]), int(c["max_len"])
    params = {k[len("params/"):]: v for k, v in data.items() if k.startswith("params/")}
    model = ref.Gcl4sr(params["user_embeddings.weight"].shape[0],
                       params["item_embeddings.weight"].shape[0], hidden, max_len,
                       int(c["layers"]), int(c["heads"]), 1)
    model.load_state_dict({ref.reference_name(k, 1): v for k, v in params.items()}, strict=True)
    model.to(device).train()
    model.gate_item = data["buffers/gate_item"].to(device)
    model.gate_user = data["buffers/gate_user"].to(device)
    # One attribute table for both views, as the reference reads it: view 1's e_id shifted by E0.
    views, attrs, shift = [], [], 0
    for v in range(2):
        p = f"view{v}/hop0/"
        views.append({"n_id": data[f"view{v}/n_id"].to(device),
                      "adjs": [(data[p + "edge_index"].to(device),
                                (data[p + "e_id"] + shift).to(device), data[p + "size"].tolist())]})
        attrs.append(data[f"view{v}/edge_attr"])
        shift += attrs[-1].numel()
    attr = torch.cat(attrs).to(device)
    users, inputs, targets = (data[f"batch/{k}"].to(device) for k in ("users", "inputs", "targets"))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, weight_decay=5e-5)

    def step():
        total = ref.losses(model, users, inputs, targets, views, attr, 1.0, 0.1, 1.0)["total"]
        optimizer.zero_grad()
        total.backward()
        optimizer.step()
        return total

    median, loss = median_step_seconds(step, a.warmup, a.steps, device)
    batch = inputs.shape[0]
    out = {"device": str(device), "batch": batch, "step_ms_median": 1000 * median,
           "samples_per_second": batch / median, "last_loss": loss.item()}
    print(f"GCL4SR eager PyTorch (reference model) on {device}: batch {batch}: step "
          f"{1000 * median:.1f} ms, {batch / median:.1f} samples/s")
    if a.json:
        write_json(a.json, out)


if __name__ == "__main__":
    sys.exit(main())
