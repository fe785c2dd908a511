"""Opens every dataset docs/corpus_seq.md lists with h5py and checks dtypes, shapes and the CSR and
split invariants the document states. Usage: check_h5py.py CORPUS_DIR  (exit 0 = readable as
documented)."""
import json
import sys

import h5py
import numpy as np

SCHEMA = {  # dataset -> dtype (shapes are checked below, against U, N, T, E)
    "sequences/user_ids": "<i8", "sequences/offsets": "<i8", "sequences/items": "<i4",
    "splits/train/rows": "<i8", "splits/train/prefix_lengths": "<i4", "splits/train/targets": "<i4",
    "splits/valid/rows": "<i8", "splits/valid/prefix_lengths": "<i4", "splits/valid/targets": "<i4",
    "splits/test/rows": "<i8", "splits/test/prefix_lengths": "<i4", "splits/test/targets": "<i4",
    "all_train_seq/offsets": "<i8", "all_train_seq/items": "<i4",
    "train_matrix/offsets": "<i8", "train_matrix/items": "<i4",
    "witg/row_offsets": "<i8", "witg/columns": "<i4", "witg/weights": "<f4",
}


def check(condition, message):
    if not condition:
        print("check_h5py:", message, file=sys.stderr)
        sys.exit(1)


def csr(f, group):
    off, items = f[group + "/offsets"][:], f[group + "/items"][:]
    check(off[0] == 0 and off[-1] == len(items) and np.all(np.diff(off) >= 0), f"{group}: not CSR")
    return off, items


def main(corpus):
    manifest = json.load(open(f"{corpus}/manifest.json"))
    check(manifest["kind"] == "seq" and manifest["schema_version"] == 1, "manifest kind/version")
    counts = manifest["counts"]
    with h5py.File(f"{corpus}/sequences.h5", "r") as f:
        check(f.attrs["kind"] == "seq", "root attribute kind")
        for name, dtype in SCHEMA.items():
            d = f[name]
            check(d.dtype == np.dtype(dtype), f"{name}: dtype {d.dtype}, documented {dtype}")
            check(d.ndim == 1, f"{name}: {d.ndim}-D")
        U, N = counts["users"], counts["interactions"]
        check(f["sequences/user_ids"].shape == (U,), "user_ids shape")
        off, items = csr(f, "sequences")
        check(len(off) == U + 1 and len(items) == N, "sequences shape")
        check(items.min() >= 1 and items.max() == counts["items"], "item ids 1..I")
        lengths = np.diff(off)
        for split, drop in (("valid", 2), ("test", 1)):
            rows = f[f"splits/{split}/rows"][:]
            plen = f[f"splits/{split}/prefix_lengths"][:]
            tgt = f[f"splits/{split}/targets"][:]
            check(np.array_equal(rows, np.arange(U)), f"{split} rows")
            check(np.array_equal(plen, lengths - drop), f"{split} prefix lengths")
            check(np.array_equal(tgt, items[off[:-1] + plen]), f"{split} targets")
        rows = f["splits/train/rows"][:]
        plen = f["splits/train/prefix_lengths"][:]
        tgt = f["splits/train/targets"][:]
        check(len(rows) == counts["train_examples"] == int(np.sum(lengths - 3)), "train size")
        check(np.all(plen >= 1) and np.all(plen <= lengths[rows] - 3), "train prefix lengths")
        check(np.array_equal(tgt, items[off[rows] + plen]), "train targets")
        toff, titems = csr(f, "all_train_seq")
        check(np.array_equal(np.diff(toff), lengths - 2), "all_train_seq lengths")
        check(np.array_equal(titems[toff[0]:toff[1]], items[off[0]:off[0] + lengths[0] - 2]),
              "all_train_seq row 0")
        moff, mitems = csr(f, "train_matrix")
        for r in range(min(U, 50)):
            expected = np.unique(titems[toff[r]:toff[r + 1]])
            check(np.array_equal(mitems[moff[r]:moff[r + 1]], expected), f"train_matrix row {r}")
        ro = f["witg/row_offsets"][:]
        col, w = f["witg/columns"][:], f["witg/weights"][:]
        check(len(ro) == counts["graph_nodes"] + 1 and len(col) == counts["graph_edges"] == len(w),
              "witg shape")
        check(ro[0] == 0 and ro[-1] == len(col) and ro[1] == 0, "witg offsets (node 0 isolated)")
        check(col.min() >= 1 and col.max() < counts["graph_nodes"], "witg columns in range")
        check(f["witg"].attrs["normalization"] == manifest["options"]["witg_normalization"],
              "witg normalization attribute")
        for node in range(1, min(len(ro) - 1, 20)):
            ws = w[ro[node]:ro[node + 1]]
            if manifest["options"]["witg_normalization"] == "none":
                check(np.all(np.diff(ws) <= 0), f"witg row {node} not sorted by weight")
            check(np.all(ws > 0), f"witg row {node} has non-positive weights")
    print("check_h5py: ok", corpus)


if __name__ == "__main__":
    main(sys.argv[1])
