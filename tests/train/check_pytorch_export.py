"""Checks that a weights file written by rsdist opens in PyTorch as a dict name -> tensor.

Usage: check_pytorch_export.py WEIGHTS_FILE EXPECTED_JSON
       check_pytorch_export.py --loads FILE...

EXPECTED_JSON, written by the C++ test, maps each name to {"dtype": "torch.float32", "shape": [..],
"hex": "<the tensor's bytes, contiguous, little-endian, as hex>"}. The file is opened with
torch.load(weights_only=True), the default since PyTorch 2.6 and what a user will do. Exits 0 when
the dict has exactly the expected names and every tensor matches in dtype, shape and bytes; else
prints every difference and exits 1. With --loads, only checks that every FILE opens with
torch.load(weights_only=True) as a dict (a checkpoint's optimizer.pt and state.pt).
"""
import json
import sys

import torch


def tensor_hex(tensor):
    # Bytes, not values: bit-exact including NaN payloads and -0.0, for every dtype (bfloat16 has no
    # numpy counterpart, so view the data as uint8 first).
    flat = tensor.detach().cpu().contiguous().reshape(-1)
    return flat.view(torch.uint8).numpy().tobytes().hex()


def check_loads(paths):
    failed = 0
    for path in paths:
        try:
            loaded = torch.load(path, weights_only=True)
        except Exception as e:  # report every file, not only the first
            print(f"{path}: torch.load failed: {e}", file=sys.stderr)
            failed += 1
            continue
        if not isinstance(loaded, dict):
            print(f"{path}: top level is {type(loaded).__name__}, expected dict", file=sys.stderr)
            failed += 1
        else:
            print(f"{path}: loads, keys {sorted(loaded)}")
    return 1 if failed else 0


def main(argv):
    if len(argv) >= 2 and argv[1] == "--loads":
        return check_loads(argv[2:])
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    weights_path, expected_path = argv[1], argv[2]
    loaded = torch.load(weights_path, weights_only=True)
    with open(expected_path) as f:
        expected = json.load(f)

    problems = []
    if not isinstance(loaded, dict):
        problems.append(f"top level is {type(loaded).__name__}, expected dict")
        loaded = {}
    if sorted(loaded) != sorted(expected):
        problems.append(f"names {sorted(loaded)} != expected {sorted(expected)}")
    for name, want in expected.items():
        got = loaded.get(name)
        if got is None:
            continue
        if not isinstance(got, torch.Tensor):
            problems.append(f"{name}: {type(got).__name__}, expected a tensor")
            continue
        if str(got.dtype) != want["dtype"]:
            problems.append(f"{name}: dtype {got.dtype}, expected {want['dtype']}")
        if list(got.shape) != want["shape"]:
            problems.append(f"{name}: shape {list(got.shape)}, expected {want['shape']}")
        elif str(got.dtype) == want["dtype"] and tensor_hex(got) != want["hex"]:
            problems.append(f"{name}: values differ: {tensor_hex(got)} != {want['hex']}")
    for problem in problems:
        print(f"{weights_path}: {problem}", file=sys.stderr)
    if not problems:
        print(f"{weights_path}: {len(expected)} tensors match")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
