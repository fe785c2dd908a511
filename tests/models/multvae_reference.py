"""A plain-PyTorch Mult-VAE, for tests/models/multvae_parity_test.cpp.

Usage: multvae_reference.py EXPORT_FILE

EXPORT_FILE (export_weights_for_pytorch) is a dict name -> tensor:
  config/items, config/dims, config/dropout
  config/order            0 = normalize then dropout (the paper's code), 1 = dropout then normalize
  config/beta             the KL weight
  config/expect_mismatch  1: the C++ side altered one value, and the comparison must fail
  params/<name>           the C++ model's parameters (nn.Linear layout, except encoder.0's
                          item_weight [I, d_1]: the transpose of encoder.0.weight here)
  batch/x                 the users' rows, dense 0/1 [B, I]
  batch/keep              the dropout mask, dense 0/1 [B, I] (what F.dropout would have drawn)
  batch/eps               the reparameterisation noise [B, latent]
  out/{logits,mu,logvar,neg_ll,kl,loss}   the C++ training-mode outputs
  eval/logits             the C++ evaluation scores (no dropout, z = mu)
  grad/<name>             gradients of the loss

The model is written as the paper's code computes it, densely: the input row L2-normalised and
dropped out (x * keep / (1 - p), F.dropout with the given mask) in the configured order, tanh
between layers, the encoder's last output split into mu and log sigma^2, z = mu + eps * sigma,
the multinomial log-likelihood sum(log_softmax(logits) * x) and the KL term
0.5 * sum(-logvar + exp(logvar) + mu^2 - 1), each averaged over users. Exits 0 when the outcome
is as expected, 1 otherwise, 2 on usage errors.
"""
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F
from parity_check import ParityCheck

TOLERANCE = 2e-5


class MultVae(nn.Module):
    def __init__(self, items, dims, dropout, order):
        super().__init__()
        q = [items] + dims
        p = q[::-1]
        widths_out = q[1:-1] + [2 * q[-1]]
        self.encoder = nn.ModuleList(nn.Linear(a, b) for a, b in zip(q[:-1], widths_out))
        self.decoder = nn.ModuleList(nn.Linear(a, b) for a, b in zip(p[:-1], p[1:]))
        self.latent = dims[-1]
        self.dropout = dropout
        self.order = order

    def encode(self, x, keep):
        def dropped(h):
            return h if keep is None else h * keep / (1.0 - self.dropout)

        h = dropped(F.normalize(x, dim=1)) if self.order == 0 else F.normalize(dropped(x), dim=1)
        for k, layer in enumerate(self.encoder):
            h = layer(h)
            if k + 1 < len(self.encoder):
                h = torch.tanh(h)
        return h[:, :self.latent], h[:, self.latent:]

    def forward(self, x, keep=None, eps=None):
        mu, logvar = self.encode(x, keep)
        z = mu if eps is None else mu + eps * torch.exp(0.5 * logvar)
        for k, layer in enumerate(self.decoder):
            z = layer(z)
            if k + 1 < len(self.decoder):
                z = torch.tanh(z)
        return z, mu, logvar


def main(argv):
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    data = torch.load(argv[1], weights_only=True)
    model = MultVae(int(data["config/items"].item()), data["config/dims"].tolist(),
                    float(data["config/dropout"].item()), int(data["config/order"].item()))
    own = dict(model.named_parameters())

    def ours(name):  # the C++ name -> this model's parameter and the C++ layout of its tensor
        if name == "encoder.0.item_weight":
            return own["encoder.0.weight"], lambda t: t.t()
        return own[name], lambda t: t

    params = {k[len("params/"):]: v for k, v in data.items() if k.startswith("params/")}
    with torch.no_grad():
        for name, value in params.items():
            p, layout = ours(name)
            p.copy_(layout(value))
    missing = set(own) - {n.replace("item_weight", "weight") for n in params}
    x, keep, eps = data["batch/x"], data["batch/keep"], data["batch/eps"]
    beta = float(data["config/beta"].item())
    logits, mu, logvar = model(x, keep, eps)
    neg_ll = -(F.log_softmax(logits, 1) * x).sum(1).mean()
    kl = (0.5 * (-logvar + torch.exp(logvar) + mu ** 2 - 1)).sum(1).mean()
    loss = neg_ll + beta * kl
    loss.backward()
    with torch.no_grad():
        eval_logits = model(x)[0]

    parity = ParityCheck(TOLERANCE)
    check = parity.check
    if missing:
        parity.failures.append(f"parameters the C++ model did not export: {sorted(missing)}")
    for name, value in (("logits", logits), ("mu", mu), ("logvar", logvar), ("neg_ll", neg_ll),
                        ("kl", kl), ("loss", loss)):
        check("out/" + name, value.detach(), data["out/" + name])
    check("eval/logits", eval_logits, data["eval/logits"])
    for key, value in data.items():
        if key.startswith("grad/"):
            p, layout = ours(key[len("grad/"):])
            check(key, layout(p.grad), value)
    order = ["normalize_dropout", "dropout_normalize"][model.order]
    return parity.report(f"Mult-VAE parity, {order}", bool(data["config/expect_mismatch"].item()),
                         f"loss {loss.item():.6f}")


if __name__ == "__main__":
    sys.exit(main(sys.argv))
