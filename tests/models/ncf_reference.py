"""Plain-PyTorch references of the NCF family, for tests/models/ncf_parity_test.cpp.

Usage: ncf_reference.py EXPORT_FILE

EXPORT_FILE (export_weights_for_pytorch) is a dict name -> tensor:
  config/model            0 = the seed's explicit NCF, 1 = GMF, 2 = MLP, 3 = NeuMF
  config/users, config/items
  config/embed_dim, config/mlp_dims      (NCF)     config/factors, config/layers   (GMF/MLP/NeuMF)
  config/expect_mismatch  1: the C++ side altered one value, and the comparison must fail
  params/<C++ name>       the C++ model's parameters
  batch/{users,items,targets}
  out/{prediction,loss}   the C++ sigmoid outputs and loss (training mode)
  buffers/<C++ name>      NCF: BatchNorm running statistics after the forward
  grad/<C++ name>         gradients of the loss

NCF is written with the structure seed 001 describes: one embedding table over both fields with
per-field offsets, an MLP of Linear + BatchNorm1d + ReLU + Dropout blocks without an output layer,
a linear layer over [user * item; MLP output], a sigmoid, and MSE against rating / 5. GMF, MLP and
NeuMF follow the paper's layout: separate embeddings per branch, a ReLU tower, one output unit, a
sigmoid, and binary cross-entropy on its output (as Keras computes it), which the C++ side computes
from the logits. Exits 0 when the outcome is as expected, 1 otherwise, 2 on usage errors.
"""
import sys

import torch
import torch.nn as nn
from parity_check import ParityCheck

TOLERANCE = 2e-5


class FieldEmbedding(nn.Module):
    """One table for several categorical fields; field f's ids are shifted by the sizes before it."""

    def __init__(self, field_sizes, dim):
        super().__init__()
        self.embedding = nn.Embedding(sum(field_sizes), dim)
        starts = [0]
        for size in field_sizes[:-1]:
            starts.append(starts[-1] + size)
        self.register_buffer("starts", torch.tensor(starts, dtype=torch.long), persistent=False)

    def forward(self, ids):  # [B, fields]
        return self.embedding(ids + self.starts.unsqueeze(0))


class Perceptron(nn.Module):
    def __init__(self, width_in, widths, dropout):
        super().__init__()
        blocks = []
        for width in widths:
            blocks += [nn.Linear(width_in, width), nn.BatchNorm1d(width), nn.ReLU(),
                       nn.Dropout(dropout)]
            width_in = width
        self.mlp = nn.Sequential(*blocks)

    def forward(self, x):
        return self.mlp(x)


class SeedNcf(nn.Module):
    def __init__(self, users, items, dim, widths):
        super().__init__()
        self.embedding = FieldEmbedding([users, items], dim)
        self.mlp = Perceptron(2 * dim, widths, 0.0)
        self.fc = nn.Linear(widths[-1] + dim, 1)
        self.dim = dim

    def forward(self, ids):
        x = self.embedding(ids)  # [B, 2, D]
        user, item = x[:, 0], x[:, 1]
        deep = self.mlp(x.reshape(-1, 2 * self.dim))
        return torch.sigmoid(self.fc(torch.cat([user * item, deep], 1)).squeeze(1))


class PaperNcf(nn.Module):
    """GMF (model 1), MLP (2) or NeuMF (3), parameter names as the C++ model's."""

    def __init__(self, kind, users, items, factors, layers):
        super().__init__()
        self.kind = kind
        width = 0
        if kind in (1, 3):
            self.gmf_user = nn.Embedding(users, factors)
            self.gmf_item = nn.Embedding(items, factors)
            width += factors
        if kind in (2, 3):
            self.mlp_user = nn.Embedding(users, layers[0] // 2)
            self.mlp_item = nn.Embedding(items, layers[0] // 2)
            self.mlp_tower = nn.ModuleList(
                nn.Linear(a, b) for a, b in zip(layers[:-1], layers[1:]))
            width += layers[-1]
        head = nn.Linear(width, 1)
        setattr(self, {1: "gmf_out", 2: "mlp_out", 3: "out"}[kind], head)
        self.head = head

    def forward(self, users, items):
        parts = []
        if self.kind in (1, 3):
            parts.append(self.gmf_user(users) * self.gmf_item(items))
        if self.kind in (2, 3):
            x = torch.cat([self.mlp_user(users), self.mlp_item(items)], 1)
            for layer in self.mlp_tower:
                x = torch.relu(layer(x))
            parts.append(x)
        return torch.sigmoid(self.head(torch.cat(parts, 1)).squeeze(1))


def seed_name(cpp_name):
    """The seed module's parameter name for a C++ one."""
    if cpp_name.startswith("embedding."):
        return "embedding." + cpp_name
    if cpp_name.startswith("mlp."):
        return "mlp." + cpp_name
    return cpp_name


def main(argv):
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    data = torch.load(argv[1], weights_only=True)
    kind = int(data["config/model"].item())
    users, items = data["batch/users"], data["batch/items"]
    targets = data["batch/targets"]
    params = {k[len("params/"):]: v for k, v in data.items() if k.startswith("params/")}
    num_users, num_items = int(data["config/users"].item()), int(data["config/items"].item())
    if kind == 0:
        dim = int(data["config/embed_dim"].item())
        model = SeedNcf(num_users, num_items, dim, data["config/mlp_dims"].tolist())
        to_model = seed_name
    else:
        factors = int(data["config/factors"].item())
        model = PaperNcf(kind, num_users, num_items, factors, data["config/layers"].tolist())
        to_model = lambda name: name  # noqa: E731
    own = dict(model.named_parameters())
    with torch.no_grad():
        for name, value in params.items():
            own[to_model(name)].copy_(value)
    missing = set(own) - {to_model(n) for n in params}
    model.train()
    if kind == 0:
        prediction = model(torch.stack([users, items], 1))
        loss = nn.functional.mse_loss(prediction, targets / 5.0)
    else:
        prediction = model(users, items)
        loss = nn.functional.binary_cross_entropy(prediction, targets)
    loss.backward()

    parity = ParityCheck(TOLERANCE)
    check = parity.check
    if missing:
        parity.failures.append(f"parameters the C++ model did not export: {sorted(missing)}")
    check("prediction", prediction.detach(), data["out/prediction"])
    check("loss", loss.detach(), data["out/loss"])
    for key, value in data.items():
        if key.startswith("grad/"):
            name = to_model(key[len("grad/"):])
            check(key, own[name].grad, value)
        elif key.startswith("buffers/"):
            name = to_model(key[len("buffers/"):])
            check(key, dict(model.named_buffers())[name], value)
    names = {0: "seed NCF", 1: "GMF", 2: "MLP", 3: "NeuMF"}
    return parity.report(f"{names[kind]} parity", bool(data["config/expect_mismatch"].item()),
                         f"loss {loss.item():.6f}")


if __name__ == "__main__":
    sys.exit(main(sys.argv))
