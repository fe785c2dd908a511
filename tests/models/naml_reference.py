"""Plain-PyTorch reference of rsdist's NAML click model, for the C++ parity test.

Usage: naml_reference.py EXPORT_FILE

EXPORT_FILE (written by tests/models/naml_parity_test.cpp with export_weights_for_pytorch) is a
dict name -> tensor holding one shared click batch and several cases:

  inputs/news/{title,abstract,category,subcategory}   the batch's distinct news, [U, ...]
  inputs/{history_index,history_mask,candidate_index}
  caseK/config/{mlp,mask_history,freeze,sigmoid_step_loss,weight_decay,lr,max_norm,expect_mismatch}
  caseK/before/<parameter>          parameters as the C++ model was initialised
  caseK/{logits,loss_softmax,loss_sigmoid}
  caseK/stepS/{loss,total_norm}     S = 0, 1: eval-mode forward, loss.backward(),
  caseK/stepS/grad/<parameter>      gradients after clip_grad_norm_(max_norm), then Adam.step()
  caseK/after/<parameter>           parameters after the two steps

The model below is written from the semantics (NNR's NAML news encoder, ATT user encoder, click
predictors and losses, with rsdist's history mask as an option), not imported. Unlike the C++
model it encodes each history and candidate slot's article separately, as NNR does, so the test
also checks rsdist's encode-once-and-gather. The script rebuilds the model from caseK/before with
load_state_dict(strict=True) (so the parameter names must match too), recomputes everything with
torch.optim.Adam and torch.nn.utils.clip_grad_norm_, and compares within TOLERANCE.

A case with expect_mismatch = 1 carries a deliberately altered value: it must NOT match, which
shows that the comparison can fail. Exits 0 when every case is as expected, 1 otherwise (printing
the max abs difference of each compared tensor that is off), 2 on usage errors.
"""
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

TOLERANCE = 1e-5


class AdditiveAttention(nn.Module):
    def __init__(self, feature_dim, attention_dim):
        super().__init__()
        self.affine1 = nn.Linear(feature_dim, attention_dim, bias=True)
        self.affine2 = nn.Linear(attention_dim, 1, bias=False)

    def forward(self, features, mask=None):  # [N, L, F], [N, L] -> [N, F]
        scores = self.affine2(torch.tanh(self.affine1(features))).squeeze(dim=2)
        if mask is not None:
            scores = scores.masked_fill(mask == 0, -1e9)
        alpha = F.softmax(scores, dim=1)
        return (alpha.unsqueeze(dim=2) * features).sum(dim=1)


class NewsEncoder(nn.Module):
    def __init__(self, words, word_dim, kernels, window, attention_dim, categories, subcategories,
                 category_dim):
        super().__init__()
        self.word_embedding = nn.Embedding(words, word_dim)
        self.title_conv = nn.Conv1d(word_dim, kernels, window, padding=(window - 1) // 2)
        self.abstract_conv = nn.Conv1d(word_dim, kernels, window, padding=(window - 1) // 2)
        self.title_attention = AdditiveAttention(kernels, attention_dim)
        self.abstract_attention = AdditiveAttention(kernels, attention_dim)
        self.category_embedding = nn.Embedding(categories, category_dim)
        self.subcategory_embedding = nn.Embedding(subcategories, category_dim)
        self.category_affine = nn.Linear(category_dim, kernels)
        self.subcategory_affine = nn.Linear(category_dim, kernels)
        self.view_attention = AdditiveAttention(kernels, attention_dim)

    def text_view(self, words, conv, attention):  # [N, L] -> [N, D]; eval mode: no dropout
        vectors = self.word_embedding(words)  # [N, L, Dw]
        local = F.relu(conv(vectors.permute(0, 2, 1))).permute(0, 2, 1)  # [N, L, D]
        return attention(local)  # word attention unmasked, as NNR

    def forward(self, title, abstract, category, subcategory):  # [N, ...] -> [N, D]
        views = torch.stack([
            self.text_view(title, self.title_conv, self.title_attention),
            self.text_view(abstract, self.abstract_conv, self.abstract_attention),
            F.relu(self.category_affine(self.category_embedding(category))),
            F.relu(self.subcategory_affine(self.subcategory_embedding(subcategory))),
        ], dim=1)
        return self.view_attention(views)


class UserEncoder(nn.Module):
    def __init__(self, news_dim, attention_dim, mask_history):
        super().__init__()
        self.attention = AdditiveAttention(news_dim, attention_dim)
        self.mask_history = mask_history

    def forward(self, history, history_mask):  # [B, H, D], [B, H] -> [B, D]
        return self.attention(history, history_mask if self.mask_history else None)


class ClickPredictor(nn.Module):
    def __init__(self, mlp, news_dim, attention_dim):
        super().__init__()
        self.use_mlp = mlp
        if mlp:
            self.mlp = nn.Linear(2 * news_dim, attention_dim)
            self.out = nn.Linear(attention_dim, 1)

    def forward(self, user, candidates):  # [B, D], [B, C, D] -> [B, C]
        user = user.unsqueeze(dim=1).expand(-1, candidates.size(1), -1)
        if not self.use_mlp:
            return (user * candidates).sum(dim=2)
        return self.out(F.relu(self.mlp(torch.cat([user, candidates], dim=2)))).squeeze(dim=2)


class Naml(nn.Module):
    def __init__(self, params, mlp, mask_history):
        super().__init__()
        words, word_dim = params["news_encoder.word_embedding.weight"].shape
        kernels, _, window = params["news_encoder.title_conv.weight"].shape
        attention_dim = params["news_encoder.title_attention.affine1.weight"].shape[0]
        categories, category_dim = params["news_encoder.category_embedding.weight"].shape
        subcategories = params["news_encoder.subcategory_embedding.weight"].shape[0]
        self.news_encoder = NewsEncoder(words, word_dim, kernels, window, attention_dim,
                                        categories, subcategories, category_dim)
        self.user_encoder = UserEncoder(kernels, attention_dim, mask_history)
        self.click_predictor = ClickPredictor(mlp, kernels, attention_dim)

    def encode_slots(self, news, index):  # the article of every slot, encoded on its own
        rows = index.reshape(-1)
        vectors = self.news_encoder(news["title"][rows], news["abstract"][rows],
                                    news["category"][rows], news["subcategory"][rows])
        return vectors.view(index.size(0), index.size(1), -1)

    def forward(self, news, history_index, history_mask, candidate_index):
        user = self.user_encoder(self.encode_slots(news, history_index), history_mask)
        return self.click_predictor(user, self.encode_slots(news, candidate_index))


def negative_log_softmax(logits):
    return (-torch.log_softmax(logits, dim=1).select(dim=1, index=0)).mean()


def negative_log_sigmoid(logits):
    positive = torch.clamp(torch.sigmoid(logits[:, 0]), min=1e-15, max=1)
    negative = torch.clamp(torch.sigmoid(-logits[:, 1:]), min=1e-15, max=1)
    return -(torch.log(positive).sum() + torch.log(negative).sum()) / logits.numel()


class Comparison:
    def __init__(self, case):
        self.case = case
        self.failures = []
        self.compared = 0
        self.worst = 0.0

    def same_names(self, what, expected, actual):
        only_cpp = sorted(set(expected) - set(actual))
        only_reference = sorted(set(actual) - set(expected))
        if only_cpp or only_reference:
            self.failures.append(f"{what}: names differ: only C++ {only_cpp}, "
                                 f"only reference {only_reference}")

    def close(self, what, expected, actual):
        self.compared += 1
        expected = expected.detach().double()
        actual = actual.detach().double()
        if expected.shape != actual.shape:
            self.failures.append(f"{what}: shape {list(expected.shape)} vs {list(actual.shape)}")
            return
        diff = (expected - actual).abs().max().item() if expected.numel() else 0.0
        self.worst = max(self.worst, diff)
        if not diff <= TOLERANCE:  # also catches NaN
            self.failures.append(f"{what}: max abs difference {diff:.3g} > {TOLERANCE}")


def run_case(data, case):
    prefix = f"{case}/"
    config = {k[len(prefix + "config/"):]: v.item() for k, v in data.items()
              if k.startswith(prefix + "config/")}
    before = {k[len(prefix + "before/"):]: v for k, v in data.items()
              if k.startswith(prefix + "before/")}
    news = {name: data[f"inputs/news/{name}"]
            for name in ("title", "abstract", "category", "subcategory")}
    inputs = (news, data["inputs/history_index"], data["inputs/history_mask"],
              data["inputs/candidate_index"])
    check = Comparison(case)

    model = Naml(before, bool(config["mlp"]), bool(config["mask_history"]))
    model.load_state_dict(before, strict=True)
    model.news_encoder.word_embedding.weight.requires_grad_(not config["freeze"])
    model.eval()

    with torch.no_grad():
        logits = model(*inputs)
    check.close("logits", data[prefix + "logits"], logits)
    check.close("loss_softmax", data[prefix + "loss_softmax"], negative_log_softmax(logits))
    check.close("loss_sigmoid", data[prefix + "loss_sigmoid"], negative_log_sigmoid(logits))

    loss_fn = negative_log_sigmoid if config["sigmoid_step_loss"] else negative_log_softmax
    optimizer = torch.optim.Adam([p for p in model.parameters() if p.requires_grad],
                                 lr=config["lr"], weight_decay=config["weight_decay"])
    for step in range(2):
        optimizer.zero_grad()
        loss = loss_fn(model(*inputs))
        loss.backward()
        total_norm = torch.nn.utils.clip_grad_norm_(model.parameters(), config["max_norm"])
        check.close(f"step{step}/loss", data[f"{prefix}step{step}/loss"], loss)
        check.close(f"step{step}/total_norm", data[f"{prefix}step{step}/total_norm"], total_norm)
        grad_prefix = f"{prefix}step{step}/grad/"
        exported = {k[len(grad_prefix):]: v for k, v in data.items() if k.startswith(grad_prefix)}
        grads = {n: p.grad for n, p in model.named_parameters() if p.grad is not None}
        check.same_names(f"step{step} gradients", exported, grads)
        for name in sorted(set(exported) & set(grads)):
            check.close(f"step{step}/grad/{name}", exported[name], grads[name])
        optimizer.step()

    after = {k[len(prefix + "after/"):]: v for k, v in data.items()
             if k.startswith(prefix + "after/")}
    params = dict(model.named_parameters())
    check.same_names("parameters after", after, params)
    for name in sorted(set(after) & set(params)):
        check.close(f"after/{name}", after[name], params[name])
    return config, check


def main(argv):
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    data = torch.load(argv[1], weights_only=True)
    cases = sorted({k.split("/")[0] for k in data if k.startswith("case")})
    if not cases:
        print(f"{argv[1]}: no cases", file=sys.stderr)
        return 2
    ok = True
    for case in cases:
        config, check = run_case(data, case)
        described = ", ".join(f"{k}={v:g}" for k, v in sorted(config.items()))
        if config.get("expect_mismatch"):
            good = bool(check.failures)
            verdict = ("mismatch detected as expected" if good
                       else "altered values were NOT detected")
        else:
            good = not check.failures
            verdict = f"match, max abs difference {check.worst:.3g}" if good else "MISMATCH"
        print(f"{case} ({described}): {check.compared} tensors compared, {verdict}")
        if not good or config.get("expect_mismatch"):
            for failure in check.failures:
                print(f"  {failure}")
        ok = ok and good
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
