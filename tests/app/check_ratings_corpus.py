"""Reads a ratings corpus (docs/corpus_ratings.md) with h5py alone and checks every documented
dataset's dtype and shape, the CSR invariants and that no candidate negative is a positive.
Prints "users items interactions" on success.

Usage: check_ratings_corpus.py DIR
"""
import json
import os
import sys

import h5py
import numpy as np


def check(condition, message):
    if not condition:
        raise SystemExit(f"check_ratings_corpus: {message}")


def strings(f, group):
    data, off = f[group + "/bytes"][:], f[group + "/offsets"][:]
    check(data.dtype == np.uint8 and off.dtype == np.int64, f"{group}: dtypes")
    return [bytes(data[off[k]:off[k + 1]]).decode("utf-8") for k in range(len(off) - 1)]


def main(directory):
    manifest = json.load(open(os.path.join(directory, "manifest.json")))
    check(manifest["kind"] == "ratings", "manifest kind")
    with h5py.File(os.path.join(directory, "ratings.h5"), "r") as f:
        split = f.attrs["split"]
        check(f.attrs["kind"] == "ratings", "kind attribute")
        implicit = int(f["implicit"][0])
        users, items = strings(f, "user_ids"), strings(f, "item_ids")
        n_users, n_items = len(users), len(items)
        check(len(set(users)) == n_users and len(set(items)) == n_items, "id maps hold duplicates")
        parts = (["train", "valid", "test"] if split != "heldout_users" else
                 ["train", "valid_foldin", "valid_heldout", "test_foldin", "test_heldout"])
        positives = [set() for _ in range(n_users)]
        total = 0
        for name in parts:
            off, it = f[name + "/offsets"][:], f[name + "/items"][:]
            ratings, times = f[name + "/ratings"][:], f[name + "/timestamps"][:]
            check(off.dtype == np.int64 and off.shape == (n_users + 1,), f"{name}/offsets")
            check(it.dtype == np.int32 and ratings.dtype == np.float32 and times.dtype == np.int64,
                  f"{name}: dtypes")
            check(off[0] == 0 and off[-1] == len(it) == len(ratings) == len(times) and
                  (np.diff(off) >= 0).all(), f"{name}: not a CSR")
            check(((it >= 0) & (it < n_items)).all(), f"{name}: item out of range")
            if implicit:
                check((ratings == 1).all(), f"{name}: implicit ratings are not 1")
            for u in range(n_users):
                row = it[off[u]:off[u + 1]]
                check(positives[u].isdisjoint(row.tolist()), f"user {u}: an item in two parts")
                positives[u].update(row.tolist())
                check((np.diff(times[off[u]:off[u + 1]]) >= 0).all(), f"{name}: row {u} not by time")
            total += len(it)
        check(total == manifest["counts"]["interactions"], "interactions differ from the manifest")
        if "negatives" in f:
            for name in ["valid", "test"]:
                neg = f["negatives/" + name][:]
                check(neg.dtype == np.int32 and neg.ndim == 2 and neg.shape[0] == n_users,
                      f"negatives/{name}: shape {neg.shape}")
                off = f[name + "/offsets"][:]
                for u in range(n_users):
                    row = neg[u].tolist()
                    if off[u + 1] == off[u]:
                        check(all(x == -1 for x in row), f"negatives/{name}: user {u} not -1")
                        continue
                    check(len(set(row)) == len(row), f"negatives/{name}: user {u} repeats")
                    check(positives[u].isdisjoint(row), f"negatives/{name}: user {u} positive")
                    check(min(row) >= 0 and max(row) < n_items, f"negatives/{name}: range")
        print(n_users, n_items, total)


if __name__ == "__main__":
    main(sys.argv[1])
