"""What the plain-PyTorch peers in bench/ share: loading a reference model of tests/models/ by
path, timing steps on a device, and writing their JSON atomically."""
import argparse
import importlib.util
import json
import os
import time

import torch

HERE = os.path.dirname(os.path.abspath(__file__))


def load_test_reference(name):
    """tests/models/<name>.py as a module (the parity tests' plain-PyTorch references)."""
    path = os.path.join(HERE, "..", "tests", "models", name + ".py")
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def export_peer_arguments(doc):
    """The command line of a peer that trains on a C++ bench's export: EXPORT and --device,
    --steps, --warmup, --threads (> 0 sets torch's), --json; returns the parsed arguments."""
    ap = argparse.ArgumentParser(description=doc.split("\n")[0])
    ap.add_argument("export")
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--json")
    a = ap.parse_args()
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    return a


def median_step_seconds(step, warmup, steps, device):
    """Runs step() warmup + steps times, the device synchronised around each timed one; returns
    the median of the timed steps' seconds and the last step's result."""
    def sync():
        if device.type == "cuda":
            torch.cuda.synchronize()

    times, result = [], None
    for s in range(warmup + steps):
        sync()
        t0 = time.perf_counter()
        result = step()
        sync()
        if s >= warmup:
            times.append(time.perf_counter() - t0)
    times.sort()
    return times[len(times) // 2], result


def write_json(path, value):
    """value as indented JSON at path, written to path.tmp and renamed into place."""
    with open(path + ".tmp", "w") as f:
        f.write(json.dumps(value, indent=2) + "\n")
    os.replace(path + ".tmp", path)
