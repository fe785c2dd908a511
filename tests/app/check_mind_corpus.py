"""Reads a MIND corpus (docs/corpus_mind.md) with h5py alone and checks every documented dataset's
dtype and shape, and the invariants a loader relies on. Exit status 0 when everything holds.

Usage: check_mind_corpus.py DIR
"""
import json
import os
import sys

import h5py
import numpy as np


def check(condition, message):
    if not condition:
        raise SystemExit(f"check_mind_corpus: {message}")


def expect(f, name, dtype, shape):
    check(name in f, f"{f.filename}: missing dataset {name}")
    d = f[name]
    check(d.dtype == np.dtype(dtype), f"{f.filename}:{name}: dtype {d.dtype}, expected {dtype}")
    check(d.shape == tuple(shape), f"{f.filename}:{name}: shape {d.shape}, expected {shape}")
    return d[...]


def check_history(f, prefix, rows, n_hist, news, categories):
    hist = expect(f, prefix + "history", "int32", (rows, n_hist))
    length = expect(f, prefix + "history_length", "int32", (rows,))
    cats = expect(f, prefix + "history_categories", "int32", (rows, n_hist))
    check(((length >= 0) & (length <= n_hist)).all(), "history_length out of range")
    check(((hist >= 0) & (hist < news)).all(), "history news out of range")
    slot = np.arange(n_hist)[None, :]
    real = slot < length[:, None]
    check((hist[~real] == 0).all(), "history padding is not 0")
    check((hist[real] > 0).all(), "a real history slot holds <PAD>")
    check((cats[~real] == categories).all(), "history category padding is not category_num")
    return hist, length, cats


def main(root):
    manifest = json.load(open(os.path.join(root, "manifest.json")))
    check(manifest["kind"] == "mind", "manifest kind is not mind")
    counts, options = manifest["counts"], manifest["options"]
    dictionaries = json.load(open(os.path.join(root, "dictionaries.json")))
    news, words = counts["news"], counts["words"]
    entities, categories = counts["entities"], counts["categories"]
    lt, la, n_hist = options["max_title_length"], options["max_abstract_length"], options["max_history_num"]
    check(len(dictionaries["news"]) == news and dictionaries["news"][0] == "<PAD>", "news dictionary")
    check(dictionaries["words"][:2] == ["<PAD>", "<UNK>"] and len(dictionaries["words"]) == words, "words")
    check(dictionaries["entities"][:2] == ["<PAD>", "<UNK>"], "entities dictionary")
    check(len(dictionaries["users"]) == counts["users"] and dictionaries["users"][0] == "<UNK>", "users")
    check(len(dictionaries["categories"]) == categories, "categories dictionary")

    with h5py.File(os.path.join(root, "news.h5"), "r") as f:
        check(f.attrs["kind"] == "mind_news", "news.h5 kind")
        for field, length in (("title", lt), ("abstract", la)):
            ids = expect(f, f"news/{field}_ids", "int32", (news, length))
            mask = expect(f, f"news/{field}_mask", "uint8", (news, length))
            ents = expect(f, f"news/{field}_entity_ids", "int32", (news, length))
            check(((ids >= 0) & (ids < words)).all(), f"{field} word ids out of range")
            check(((ents >= 0) & (ents < entities)).all(), f"{field} entity ids out of range")
            check(((ids[1:] != 0) == (mask[1:] == 1)).all(), f"{field} mask differs from ids != 0")
        cat = expect(f, "news/category", "int32", (news,))
        check(((cat >= 0) & (cat < categories)).all(), "category out of range")
        expect(f, "news/subcategory", "int32", (news,))
        expect(f, "news/split", "uint8", (news,))
        emb = expect(f, "words/embedding", "float32", (words, counts["word_dim"]))
        check((emb[0] == 0).all(), "<PAD> word vector is not zero")
        in_glove = expect(f, "words/in_glove", "uint8", (words,))
        check(int(in_glove.sum()) == counts["glove_words_found"], "in_glove sum")
        expect(f, "words/count", "int64", (words,))
        dim = options["entity_dim"]
        expect(f, "entities/embedding", "float32", (entities, dim))
        found = expect(f, "entities/found", "uint8", (entities,))
        check(int(found.sum()) == counts["entity_vectors_found"], "entities/found sum")

    shards = options["shards"]
    next_sample = 0
    for k in range(shards):
        path = os.path.join(root, f"train-{k:05d}-of-{shards:05d}.h5")
        with h5py.File(path, "r") as f:
            s = counts["train_shard_samples"][k]
            begin, end = expect(f, "sample_range", "int64", (2,))
            check(begin == next_sample and end - begin == s, f"{path}: sample_range {begin},{end}")
            next_sample = end
            check(int(f.attrs["shard"]) == k and int(f.attrs["shards"]) == shards, "shard attributes")
            imp = expect(f, "impression", "int32", (s,))
            check((np.diff(imp) >= 0).all(), "train impressions not in file order")
            expect(f, "user", "int32", (s,))
            check_history(f, "", s, n_hist, news, categories)
            pos = expect(f, "positive", "int32", (s,))
            check(((pos > 0) & (pos < news)).all(), "positive news out of range")
            off = expect(f, "negative_offsets", "int64", (s + 1,))
            neg = expect(f, "negatives", "int32", (int(off[-1]),))
            check(off[0] == 0 and (np.diff(off) >= 0).all(), "negative_offsets not a CSR")
            check(((neg > 0) & (neg < news)).all(), "negative news out of range")
    check(next_sample == counts["train_samples"], "shards do not cover every train sample")

    for split in ("dev", "test"):
        path = os.path.join(root, f"{split}.h5")
        if split == "test" and f"{split}_impressions" not in counts:
            check(not os.path.exists(path), "test.h5 without test counts")
            continue
        rows, cands = counts[f"{split}_impressions"], counts[f"{split}_candidates"]
        with h5py.File(path, "r") as f:
            expect(f, "impressions/user", "int32", (rows,))
            expect(f, "impressions/source_line", "int64", (rows,))
            check_history(f, "impressions/", rows, n_hist, news, categories)
            off = expect(f, "impressions/candidate_offsets", "int64", (rows + 1,))
            imp = expect(f, "candidates/impression", "int32", (cands,))
            check(off[-1] == cands and (np.repeat(np.arange(rows), np.diff(off)) == imp).all(),
                  "candidate_offsets do not match candidates/impression")
            cnews = expect(f, "candidates/news", "int32", (cands,))
            check(((cnews > 0) & (cnews < news)).all(), "candidate news out of range")
            label = expect(f, "candidates/label", "int32", (cands,))
            allowed = {-1} if split == "test" else {0, 1}
            check(set(np.unique(label).tolist()) <= allowed, f"{split} labels {np.unique(label)}")
    print(f"check_mind_corpus: {root}: ok")


if __name__ == "__main__":
    main(sys.argv[1])
