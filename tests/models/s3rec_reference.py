"""Plain-PyTorch reference of S3-Rec (CIKM 2020, the official code's structure), for the C++ parity
test of the S3-Rec model; bench/s3rec_pytorch_peer.py builds its model with build_model.

Usage: s3rec_reference.py EXPORT_FILE

EXPORT_FILE (export_weights_for_pytorch) is a dict name -> tensor:
  config/items            I, the largest item id: the item table has I + 2 rows, mask id I + 1
  config/attributes       A, the attribute table's rows (the largest attribute id + 1)
  config/{hidden,layers,heads,max_len}
  config/weights          [4] the AAP, MIP, MAP and SP loss weights
  config/dropout          optional: must be 0 here (the bench peer's dropout probability)
  config/expect_mismatch  1: the C++ side altered one value, and the comparison must fail
  params/<C++ name>       the C++ model's parameters (official_parts gives the official ones)
  pretrain/{masked_item_sequence,pos_items,neg_items,masked_segment_sequence,pos_segment,
           neg_segment}       [B, L], as the official PretrainDataset builds them
  pretrain/attributes     [B, L, A] multi-hot attributes of pos_items
  out/{aap,mip,map,sp,joint}  the C++ pretraining losses (sums) and their weighted sum
  grad_pretrain/<C++ name>    gradients of out/joint
  finetune/{input_ids,target_pos,target_neg}  [B, L]
  out/finetune_loss, grad_finetune/<C++ name>  the official Trainer.cross_entropy and its gradients
  eval/candidates         [B, C] item ids; eval/input_ids [B, L] optional (finetune/input_ids else)
  out/sampled_scores      [B, C] last position's output . candidate embeddings (predict_sample)
  out/full_scores         [B, I + 1] the same against item rows 0..I (predict_full without the
                          mask token's row, which rsdist never ranks)

The model follows the official code: post-norm Transformer layers of separate query/key/value
projections, scores / sqrt(d) plus an additive mask, softmax, attention dropout, dense, dropout and
a TF-style LayerNorm (epsilon inside the root, 1e-12) of the residual, then dense_1 (4H), exact-erf
GELU, dense_2, dropout and LayerNorm; item plus position embeddings through LayerNorm and dropout.
Pretraining scores are sigmoids under nn.BCELoss(reduction='none'): AAP over non-mask non-padding
positions, MIP (sigmoid of the positive minus the negative score, against 1) and MAP over mask
positions, SP on the last position of the three segment sequences; all four encode bidirectionally
with a -1e8 key-padding mask. Fine-tuning is causal with (1 - mask) * -10000. Runs with dropout 0
(no mask is exported). Exits 0 when the outcome is as expected, 1 otherwise, 2 on usage errors.
"""
import math
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

TOLERANCE = 2e-5


class LayerNorm(nn.Module):
    """TF style: the biased variance, epsilon inside the square root."""

    def __init__(self, hidden, eps=1e-12):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(hidden))
        self.bias = nn.Parameter(torch.zeros(hidden))
        self.eps = eps

    def forward(self, x):
        centred = x - x.mean(-1, keepdim=True)
        variance = centred.pow(2).mean(-1, keepdim=True)
        return self.weight * centred / torch.sqrt(variance + self.eps) + self.bias


class SelfAttention(nn.Module):
    def __init__(self, hidden, heads, dropout):
        super().__init__()
        self.heads, self.head_size = heads, hidden // heads
        self.query, self.key, self.value = (nn.Linear(hidden, hidden) for _ in range(3))
        self.attn_dropout = nn.Dropout(dropout)
        self.dense = nn.Linear(hidden, hidden)
        self.LayerNorm = LayerNorm(hidden)
        self.out_dropout = nn.Dropout(dropout)

    def split(self, x):  # [B, L, H] -> [B, heads, L, d]
        return x.view(x.shape[0], x.shape[1], self.heads, self.head_size).permute(0, 2, 1, 3)

    def forward(self, x, mask):
        q, k, v = self.split(self.query(x)), self.split(self.key(x)), self.split(self.value(x))
        scores = q @ k.transpose(-1, -2) / math.sqrt(self.head_size) + mask
        probs = self.attn_dropout(torch.softmax(scores, -1))
        context = (probs @ v).permute(0, 2, 1, 3).reshape(x.shape)
        return self.LayerNorm(self.out_dropout(self.dense(context)) + x)


class Intermediate(nn.Module):
    def __init__(self, hidden, dropout):
        super().__init__()
        self.dense_1 = nn.Linear(hidden, 4 * hidden)
        self.dense_2 = nn.Linear(4 * hidden, hidden)
        self.LayerNorm = LayerNorm(hidden)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x):
        h = self.dense_1(x)
        h = h * 0.5 * (1.0 + torch.erf(h / math.sqrt(2.0)))
        return self.LayerNorm(self.dropout(self.dense_2(h)) + x)


class Layer(nn.Module):
    def __init__(self, hidden, heads, dropout):
        super().__init__()
        self.attention = SelfAttention(hidden, heads, dropout)
        self.intermediate = Intermediate(hidden, dropout)

    def forward(self, x, mask):
        return self.intermediate(self.attention(x, mask))


class Encoder(nn.Module):
    def __init__(self, hidden, layers, heads, dropout):
        super().__init__()
        self.layer = nn.ModuleList(Layer(hidden, heads, dropout) for _ in range(layers))

    def forward(self, x, mask):
        for layer in self.layer:
            x = layer(x, mask)
        return x


def key_padding(sequence):  # the pretraining mask: -1e8 on padding keys, [B, 1, 1, L]
    return ((sequence == 0).float() * -1e8)[:, None, None, :]


def bce(score, target):
    return F.binary_cross_entropy(score, target, reduction="none")


class S3RecModel(nn.Module):
    def __init__(self, items, attributes, hidden, layers, heads, max_len, dropout):
        super().__init__()
        self.mask_id, self.attribute_size, self.hidden = items + 1, attributes, hidden
        self.item_embeddings = nn.Embedding(items + 2, hidden, padding_idx=0)
        self.attribute_embeddings = nn.Embedding(attributes, hidden, padding_idx=0)
        self.position_embeddings = nn.Embedding(max_len, hidden)
        self.item_encoder = Encoder(hidden, layers, heads, dropout)
        self.LayerNorm = LayerNorm(hidden)
        self.dropout = nn.Dropout(dropout)
        self.aap_norm, self.mip_norm, self.map_norm, self.sp_norm = (
            nn.Linear(hidden, hidden) for _ in range(4))

    def add_position_embedding(self, sequence):
        positions = torch.arange(sequence.shape[1], device=sequence.device).expand_as(sequence)
        return self.dropout(self.LayerNorm(self.item_embeddings(sequence)
                                           + self.position_embeddings(positions)))

    def encode(self, sequence, mask):
        return self.item_encoder(self.add_position_embedding(sequence), mask)

    def attribute_scores(self, norm, output):  # [B*L, A]
        scores = norm(output).view(-1, self.hidden) @ self.attribute_embeddings.weight.T
        return torch.sigmoid(scores)

    def pretrain(self, attributes, masked_item_sequence, pos_items, neg_items,
                 masked_segment_sequence, pos_segment, neg_segment):
        output = self.encode(masked_item_sequence, key_padding(masked_item_sequence))
        targets = attributes.view(-1, self.attribute_size).float()
        flat = masked_item_sequence.flatten()
        masked = (flat == self.mask_id).float()
        aap_mask = (flat != self.mask_id).float() * (flat != 0).float()
        aap = torch.sum(bce(self.attribute_scores(self.aap_norm, output), targets)
                        * aap_mask.unsqueeze(-1))
        mip_out = self.mip_norm(output.view(-1, self.hidden))

        def mip_score(items):
            return torch.sigmoid(torch.sum(mip_out * self.item_embeddings(items).view(
                -1, self.hidden), -1))

        distance = torch.sigmoid(mip_score(pos_items) - mip_score(neg_items))
        mip = torch.sum(bce(distance, torch.ones_like(distance)) * masked)
        map_ = torch.sum(bce(self.attribute_scores(self.map_norm, output), targets)
                         * masked.unsqueeze(-1))

        def last(sequence):
            return self.encode(sequence, key_padding(sequence))[:, -1, :]

        context = self.sp_norm(last(masked_segment_sequence))
        pos_score = torch.sigmoid(torch.sum(context * last(pos_segment), -1))
        neg_score = torch.sigmoid(torch.sum(context * last(neg_segment), -1))
        distance = torch.sigmoid(pos_score - neg_score)
        sp = torch.sum(bce(distance, torch.ones_like(distance)))
        return aap, mip, map_, sp

    def finetune(self, input_ids):
        length = input_ids.shape[1]
        causal = torch.tril(torch.ones(length, length, dtype=torch.long, device=input_ids.device))
        allowed = (input_ids > 0).long()[:, None, None, :] * causal[None, None]
        mask = (1.0 - allowed.float()) * -10000.0
        return self.item_encoder(self.add_position_embedding(input_ids), mask)


def finetune_loss(model, output, pos_ids, neg_ids):
    """The official Trainer.cross_entropy: mean over positions with a target of the positive's and
    the sampled negative's binary log-loss."""
    seq = output.reshape(-1, model.hidden)
    pos_logits = torch.sum(model.item_embeddings(pos_ids).view(-1, model.hidden) * seq, -1)
    neg_logits = torch.sum(model.item_embeddings(neg_ids).view(-1, model.hidden) * seq, -1)
    target = (pos_ids > 0).view(-1).float()
    return torch.sum(-torch.log(torch.sigmoid(pos_logits) + 1e-24) * target
                     - torch.log(1 - torch.sigmoid(neg_logits) + 1e-24) * target) / target.sum()


LAYER_MODULES = {"self_attn.out_proj": "attention.dense", "norm1": "attention.LayerNorm",
                 "linear1": "intermediate.dense_1", "linear2": "intermediate.dense_2",
                 "norm2": "intermediate.LayerNorm"}


def official_parts(name):
    """The official parameters whose concatenation along dim 0 is the C++ parameter `name`."""
    if not name.startswith("item_encoder.layers."):
        return [name]
    index, rest = name[len("item_encoder.layers."):].split(".", 1)
    prefix = f"item_encoder.layer.{index}."
    module, kind = rest.rsplit(".", 1)
    if module == "self_attn" and kind in ("in_proj_weight", "in_proj_bias"):
        suffix = kind[len("in_proj_"):]
        return [f"{prefix}attention.{p}.{suffix}" for p in ("query", "key", "value")]
    return [f"{prefix}{LAYER_MODULES.get(module, module)}.{kind}"]  # unknown: 'unexpected'


def build_model(params, heads, dropout=0.0):
    """The official-structured model holding params (C++ names -> tensors), its sizes read off
    their shapes; raises ValueError (RuntimeError for a wrong shape) unless they fit exactly."""
    table = params["item_embeddings.weight"]
    layers = len({n.split(".")[2] for n in params if n.startswith("item_encoder.layers.")})
    model = S3RecModel(table.shape[0] - 2, params["attribute_embeddings.weight"].shape[0],
                       table.shape[1], layers, heads, params["position_embeddings.weight"].shape[0],
                       dropout)
    state = {}
    for name, value in params.items():
        parts = official_parts(name)
        state.update(zip(parts, value.chunk(len(parts), 0)))
    missing, unexpected = model.load_state_dict(state, strict=False)
    if missing or unexpected:
        raise ValueError(f"parameters: missing {sorted(missing)}, unexpected {sorted(unexpected)}")
    return model


def cpp_grads(model, names):
    """The gradients of the official parameters in the C++ layout, by C++ name."""
    own = dict(model.named_parameters())
    return {name: torch.cat([own[p].grad if own[p].grad is not None else torch.zeros_like(own[p])
                             for p in official_parts(name)]) for name in names}


PRETRAIN_KEYS = ("attributes", "masked_item_sequence", "pos_items", "neg_items",
                 "masked_segment_sequence", "pos_segment", "neg_segment")


def main(argv):
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    from parity_check import ParityCheck  # here, so that bench/ can import this module as well

    data = torch.load(argv[1], weights_only=True)
    params = {k[len("params/"):]: v for k, v in data.items() if k.startswith("params/")}
    parity = ParityCheck(TOLERANCE)
    check = parity.check
    try:
        model = build_model(params, int(data["config/heads"].item()))
    except (ValueError, RuntimeError) as error:
        print(f"S3-Rec parity: {error}")
        return 1
    config = (model.item_embeddings.num_embeddings - 2, model.attribute_size, model.hidden,
              len(model.item_encoder.layer), model.position_embeddings.num_embeddings)
    exported = tuple(int(data[f"config/{k}"].item())
                     for k in ("items", "attributes", "hidden", "layers", "max_len"))
    if config != exported:
        parity.failures.append(f"config {exported} but the parameters' shapes say {config}")
    if "config/dropout" in data and data["config/dropout"].item() != 0:
        parity.failures.append(f"config/dropout {data['config/dropout'].item()}: no mask exported")
    model.train()

    losses = model.pretrain(*(data["pretrain/" + k] for k in PRETRAIN_KEYS))
    joint = sum(w * loss for w, loss in zip(data["config/weights"].tolist(), losses))
    joint.backward()
    grads_pretrain = cpp_grads(model, params)
    model.zero_grad(set_to_none=True)
    output = model.finetune(data["finetune/input_ids"])
    loss = finetune_loss(model, output, data["finetune/target_pos"], data["finetune/target_neg"])
    loss.backward()
    grads_finetune = cpp_grads(model, params)
    model.eval()
    with torch.no_grad():
        last = model.finetune(data.get("eval/input_ids", data["finetune/input_ids"]))[:, -1, :]
        sampled = torch.bmm(model.item_embeddings(data["eval/candidates"]),
                            last.unsqueeze(-1)).squeeze(-1)
        items = model.item_embeddings.num_embeddings - 2
        full = last @ model.item_embeddings.weight[: items + 1].T  # rsdist ranks ids 0..I

    for name, value in zip(("aap", "mip", "map", "sp", "joint"), (*losses, joint)):
        check("out/" + name, value.detach(), data["out/" + name])
    check("out/finetune_loss", loss.detach(), data["out/finetune_loss"])
    check("out/sampled_scores", sampled, data["out/sampled_scores"])
    check("out/full_scores", full, data["out/full_scores"])
    for prefix, grads in (("grad_pretrain/", grads_pretrain), ("grad_finetune/", grads_finetune)):
        for name, grad in sorted(grads.items()):
            if prefix + name in data:
                check(prefix + name, grad, data[prefix + name])
            else:
                parity.failures.append(f"{prefix}{name}: not exported")
    aap, mip, map_, sp = (v.item() for v in losses)
    return parity.report("S3-Rec parity", bool(data["config/expect_mismatch"].item()),
                         f"losses aap {aap:.6f} mip {mip:.6f} map {map_:.6f} sp {sp:.6f}, "
                         f"finetune {loss.item():.6f}")


if __name__ == "__main__":
    sys.exit(main(sys.argv))
