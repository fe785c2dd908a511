"""Plain-PyTorch reference of GCL4SR (IJCAI 2022, official code's structure), for the C++ parity
test tests/models/gcl4sr_parity_test.cpp.

Usage: gcl4sr_reference.py EXPORT_FILE

EXPORT_FILE (export_weights_for_pytorch) is a dict name -> tensor:
  config/{hidden,max_len,layers,heads,lambda_gcl,lambda_mmd,temperature,expect_mismatch}
  params/<C++ name>, buffers/gate_item, buffers/gate_user
  batch/{users,inputs,targets}
  graph/edge_attr                       the WITG's edge weights, indexed by e_id
  viewV/n_id, viewV/hopH/{edge_index,e_id,size}   V = 0, 1; H = 0 (outer hop), 1 (inner hop), as
                                        PyG NeighborSampler returns adjs (outermost first)
  out/{user_repr,main,gcl,mmd,total}    C++ results in eval mode (no dropout)
  out/local_real                        the Transformer output at real (non-padding) positions
  grad/<C++ name>                       gradient of total

The model below follows the official code: a GNN encoder that runs GCNConv + SAGEConv over *every*
sampled hop (resetting its input to the sampled-node embeddings at each one), nn.TransformerEncoder
with a causal and a key-padding mask, gates as fixed tensors, the final attention net, and the
three losses with the MMD distances formed by broadcasting. GCNConv and SAGEConv are written here in
plain torch with PyTorch Geometric's semantics (add_remaining_self_loops + symmetric normalisation;
mean aggregation + root weight + L2 normalisation), or taken from torch_geometric when it is
installed. The C++ model reads only the innermost hop (Note [The one block GCL4SR uses]); matching
this two-hop reference shows the outer hop is dead.

A run with config/expect_mismatch = 1 must NOT match (the C++ side altered one value). Exits 0 when
the outcome is as expected, 1 otherwise, 2 on usage errors.
"""
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

TOLERANCE = 2e-5


class PlainGCNConv(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.lin = nn.Linear(channels, channels, bias=False)
        self.bias = nn.Parameter(torch.zeros(channels))

    def forward(self, x, edge_index, edge_weight):
        n = x.shape[0]
        source, target = edge_index
        loop = source == target
        loop_weight = torch.ones(n, dtype=x.dtype)
        loop_weight[source[loop]] = edge_weight[loop]  # a dropped self-loop keeps its weight
        keep = ~loop
        nodes = torch.arange(n)
        source = torch.cat([source[keep], nodes])
        target = torch.cat([target[keep], nodes])
        weight = torch.cat([edge_weight[keep], loop_weight])
        degree = torch.zeros(n, dtype=x.dtype).index_add_(0, target, weight)
        inv_sqrt = degree.pow(-0.5)
        inv_sqrt[torch.isinf(inv_sqrt)] = 0
        norm = inv_sqrt[source] * weight * inv_sqrt[target]
        h = self.lin(x)
        out = torch.zeros_like(h).index_add_(0, target, norm.unsqueeze(1) * h[source])
        return out + self.bias


class PlainSAGEConv(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.lin_l = nn.Linear(channels, channels, bias=True)
        self.lin_r = nn.Linear(channels, channels, bias=False)

    def forward(self, xs, edge_index):
        x_src, x_dst = xs
        source, target = edge_index
        total = torch.zeros(x_dst.shape[0], x_src.shape[1], dtype=x_src.dtype)
        total = total.index_add(0, target, x_src[source])
        count = torch.zeros(x_dst.shape[0], dtype=x_src.dtype).index_add_(
            0, target, torch.ones(target.shape[0], dtype=x_src.dtype))
        mean = total / count.clamp(min=1).unsqueeze(1)
        return F.normalize(self.lin_l(mean) + self.lin_r(x_dst), p=2.0, dim=-1)


def graph_layers(channels):
    try:
        from torch_geometric.nn import GCNConv, SAGEConv
        return GCNConv(channels, channels), lambda: SAGEConv(channels, channels, normalize=True)
    except ImportError:
        return PlainGCNConv(channels), lambda: PlainSAGEConv(channels)


class GnnEncoder(nn.Module):
    def __init__(self, hidden, hops):
        super().__init__()
        self.gcn, make_sage = graph_layers(hidden)
        self.convs = nn.ModuleList([make_sage() for _ in range(hops)])
        self.hops = hops

    def forward(self, x_all, adjs, attr):
        for i, (edge_index, e_id, size) in enumerate(adjs):
            weight = attr[e_id].view(-1).float()
            x = self.gcn(x_all, edge_index, weight)  # the input is reset at every hop
            x = self.convs[i]((x, x[:size[1]]), edge_index)
            if i != self.hops - 1:
                x = F.dropout(F.relu(x), 0.5, self.training)
        return x


class Gcl4sr(nn.Module):
    def __init__(self, users, items, hidden, max_len, layers, heads, hops):
        super().__init__()
        self.hidden, self.max_len = hidden, max_len
        self.global_gnn = GnnEncoder(hidden, hops)
        self.user_embeddings = nn.Embedding(users, hidden)
        self.item_embeddings = nn.Embedding(items, hidden, padding_idx=0)
        self.position_embeddings = nn.Embedding(max_len, hidden)
        layer = nn.TransformerEncoderLayer(d_model=hidden, nhead=heads, dim_feedforward=4 * hidden,
                                           dropout=0.5, activation="gelu", batch_first=True)
        self.item_encoder = nn.TransformerEncoder(layer, num_layers=layers,
                                                  enable_nested_tensor=False)
        self.w_1 = nn.Parameter(torch.empty(2 * hidden, hidden))
        self.w_2 = nn.Parameter(torch.empty(hidden, 1))
        self.linear_1 = nn.Linear(hidden, hidden)
        self.linear_2 = nn.Linear(hidden, hidden, bias=False)
        self.w_g = nn.Linear(hidden, 1)
        self.w_e = nn.Linear(hidden, 1)
        self.LayerNorm = nn.LayerNorm(hidden, eps=1e-12)
        self.linear_transform = nn.Linear(3 * hidden, hidden, bias=False)
        self.gate_item = None  # fixed tensors, not parameters (as the official code)
        self.gate_user = None

    def encode_view(self, view, attr):
        return self.global_gnn(self.item_embeddings(view["n_id"]), view["adjs"], attr)

    def forward(self, users, inputs, views, attr):
        mask = 1.0 - (inputs == 0).float().unsqueeze(-1)
        global_a = self.encode_view(views[0], attr).view(-1, self.max_len, self.hidden)
        global_b = self.encode_view(views[1], attr).view(-1, self.max_len, self.hidden)
        causal = torch.triu(torch.ones(self.max_len, self.max_len, dtype=torch.bool,
                                       device=inputs.device), diagonal=1)
        local = F.dropout(self.LayerNorm(self.item_embeddings(inputs)), 0.5, self.training)
        local = self.item_encoder(local, mask=causal, src_key_padding_mask=(inputs == 0))
        user = self.user_embeddings(users)

        def gated(view):
            gate = torch.sigmoid(torch.matmul(view, self.gate_item.unsqueeze(0)).squeeze(-1)
                                 + user.mm(self.gate_user))
            return F.dropout(view * gate.unsqueeze(2), 0.5, self.training)

        user_a, user_b = gated(global_a), gated(global_b)
        hidden = self.linear_transform(torch.cat([local, user_a, user_b], -1))
        return local, hidden, user_a, user_b, global_a, global_b, mask

    def final_att_net(self, mask, hidden):
        batch, length = hidden.shape[0], hidden.shape[1]
        pos = self.position_embeddings.weight[:length].unsqueeze(0).repeat(batch, 1, 1)
        mean = (torch.sum(hidden * mask, -2) / torch.sum(mask, 1)).unsqueeze(-2)
        mean = mean.repeat(1, length, 1)
        item_hidden = torch.tanh(torch.matmul(torch.cat([pos, hidden], -1), self.w_1))
        score = torch.sigmoid(self.linear_1(item_hidden) + self.linear_2(mean))
        att = torch.matmul(score, self.w_2) * mask
        return torch.sum(att * hidden, 1)


def gcl_loss(hidden, temperature):
    batch = hidden.shape[0] // 2
    hidden = F.normalize(hidden, p=2, dim=-1)
    a, b = hidden[:batch], hidden[batch:]
    labels = torch.arange(batch, device=hidden.device)
    masks = F.one_hot(labels, batch)
    aa = a @ a.T / temperature - masks * 1e9
    bb = b @ b.T / temperature - masks * 1e9
    ab = a @ b.T / temperature
    ba = b @ a.T / temperature
    return F.cross_entropy(torch.cat([ab, aa], 1), labels) + \
        F.cross_entropy(torch.cat([ba, bb], 1), labels)


def mmd_loss(source, target, max_len, kernel_mul=2.0, kernel_num=5):
    source, target = source.reshape(-1, max_len), target.reshape(-1, max_len)
    batch = source.shape[0]
    total = torch.cat([source, target], 0)
    n = total.shape[0]
    distance = ((total.unsqueeze(0) - total.unsqueeze(1)) ** 2).sum(2)
    bandwidth = torch.sum(distance.data) / (n * n - n)
    bandwidth /= kernel_mul ** (kernel_num // 2)
    kernels = sum(torch.exp(-distance / (bandwidth * kernel_mul ** i)) for i in range(kernel_num))
    return torch.mean(kernels[:batch, :batch] + kernels[batch:, batch:]
                      - kernels[:batch, batch:] - kernels[batch:, :batch])


def losses(model, users, inputs, targets, views, attr, lambda_gcl, lambda_mmd, temperature):
    """The official training objective: next-item cross-entropy over every item, the two views'
    contrastive loss and the MMD between the sequence and each gated view."""
    max_len = model.max_len
    local, hid, user_a, user_b, global_a, global_b, mask = model(users, inputs, views, attr)
    user_repr = model.final_att_net(mask, hid)
    main_loss = F.cross_entropy(user_repr @ model.item_embeddings.weight.T, targets)
    mean_a = torch.sum(global_a * mask, 1) / torch.sum(mask, 1)
    mean_b = torch.sum(global_b * mask, 1) / torch.sum(mask, 1)
    gcl = gcl_loss(torch.cat([mean_a, mean_b], 0), temperature)
    local_e = model.w_e(model.item_embeddings(inputs)).squeeze(-1)
    mmd = mmd_loss(local_e, model.w_g(user_a).squeeze(-1), max_len) + \
        mmd_loss(local_e, model.w_g(user_b).squeeze(-1), max_len)
    total = main_loss + lambda_gcl * gcl + lambda_mmd * mmd
    return {"local": local, "user_repr": user_repr, "main": main_loss, "gcl": gcl, "mmd": mmd,
            "total": total}


def reference_name(name, hops):
    if name.startswith("gcn."):
        return "global_gnn.gcn." + name[len("gcn."):]
    if name.startswith("sage."):  # the innermost hop's conv
        return f"global_gnn.convs.{hops - 1}." + name[len("sage."):]
    return name


def main(argv):
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    data = torch.load(argv[1], weights_only=True)
    c = {k[len("config/"):]: v.item() for k, v in data.items() if k.startswith("config/")}
    hidden, max_len = int(c["hidden"]), int(c["max_len"])
    hops = len({k.split("/")[1] for k in data if k.startswith("view0/hop")})
    params = {k[len("params/"):]: v for k, v in data.items() if k.startswith("params/")}
    torch.manual_seed(0)
    model = Gcl4sr(params["user_embeddings.weight"].shape[0],
                   params["item_embeddings.weight"].shape[0], hidden, max_len, int(c["layers"]),
                   int(c["heads"]), hops)
    state = {reference_name(k, hops): v for k, v in params.items()}
    missing, unexpected = model.load_state_dict(state, strict=False)
    # Only the outer hops' SAGE layers are not in the C++ model: they never reach the output.
    dead = {k for k in missing if k.startswith("global_gnn.convs.") and
            not k.startswith(f"global_gnn.convs.{hops - 1}.")}
    failures = []
    if set(missing) - dead or unexpected:
        failures.append(f"state_dict: missing {sorted(set(missing) - dead)}, "
                        f"unexpected {sorted(unexpected)}")
    model.gate_item = data["buffers/gate_item"]
    model.gate_user = data["buffers/gate_user"]
    model.eval()  # dropout off; autograd stays on, as in the official eval (no fused fast path)

    views = []
    for v in range(2):
        adjs = []
        for h in range(hops):
            p = f"view{v}/hop{h}/"
            adjs.append((data[p + "edge_index"], data[p + "e_id"], data[p + "size"].tolist()))
        views.append({"n_id": data[f"view{v}/n_id"], "adjs": adjs})
    users, inputs, targets = data["batch/users"], data["batch/inputs"], data["batch/targets"]
    attr = data["graph/edge_attr"]

    r = losses(model, users, inputs, targets, views, attr, c["lambda_gcl"], c["lambda_mmd"],
               c["temperature"])
    local, user_repr, main_loss, gcl, mmd, total = (
        r["local"], r["user_repr"], r["main"], r["gcl"], r["mmd"], r["total"])
    total.backward()

    worst = 0.0
    compared = 0

    def close(what, expected, actual):
        nonlocal worst, compared
        compared += 1
        expected, actual = expected.detach().double(), actual.detach().double()
        if expected.shape != actual.shape:
            failures.append(f"{what}: shape {list(expected.shape)} vs {list(actual.shape)}")
            return
        scale = max(1.0, actual.abs().max().item()) if actual.numel() else 1.0
        diff = (expected - actual).abs().max().item() / scale if expected.numel() else 0.0
        worst = max(worst, diff)
        if not diff <= TOLERANCE:
            failures.append(f"{what}: max difference {diff:.3g} (relative to max(1, |x|)) "
                            f"> {TOLERANCE}")

    real = (inputs != 0)
    close("local (real positions)", data["out/local_real"], local[real])
    close("user_repr", data["out/user_repr"], user_repr)
    close("main", data["out/main"], main_loss)
    close("gcl", data["out/gcl"], gcl)
    close("mmd", data["out/mmd"], mmd)
    close("total", data["out/total"], total)
    named = dict(model.named_parameters())
    for name, grad in sorted((k[len("grad/"):], v) for k, v in data.items()
                             if k.startswith("grad/")):
        ref = named[reference_name(name, hops)]
        close(f"grad/{name}", grad, ref.grad if ref.grad is not None else torch.zeros_like(ref))
    expect_mismatch = bool(c.get("expect_mismatch", 0))
    good = bool(failures) if expect_mismatch else not failures
    verdict = ("mismatch detected as expected" if expect_mismatch and good else
               "altered value NOT detected" if expect_mismatch else
               f"match, worst difference {worst:.3g}" if good else "MISMATCH")
    print(f"gcl4sr parity ({hops} hops, {compared} tensors): {verdict}; losses main "
          f"{main_loss.item():.6f} gcl {gcl.item():.6f} mmd {mmd.item():.6f}")
    if not good or expect_mismatch:
        for failure in failures:
            print(f"  {failure}")
    return 0 if good else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
