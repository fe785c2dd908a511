"""Reads a run's TensorBoard curves (RUN/tb/) with the tensorboard package's EventAccumulator and
checks them against the run's metrics.jsonl (training_curves_test.cpp runs it):

- every record's scalars (epoch/train_loss, epoch/train_losses/<part>, epoch/lr,
  epoch/samples_per_second, dev/<metric>; test/<metric>), each once, at the record's global step,
  equal to the record's value in float32, and no other scalar;
- train/loss and train/<part> at exactly the global steps that are multiples of --every, and with
  --every 1 on one rank, their mean over each epoch equal to the epoch's value;
- the configuration and the model as text; one event file per session, each starting with the
  file version and a SessionLog START (the last one at --resumed_from + 1).

Usage: check_tensorboard.py RUN --every N [--sessions K] [--resumed_from S]
                            [--earlier_metrics FIRST_SESSIONS_METRICS_JSONL]
--earlier_metrics: metrics.jsonl as a finished run left it before --resume extended it; its test
evaluation stays in TensorBoard at its step (metrics.jsonl drops it, see train/training_curves.hpp).
"""
import argparse
import collections
import json
import math
import pathlib

import numpy as np
from tensorboard.backend.event_processing import event_accumulator as ea
from tensorboard.backend.event_processing import event_file_loader
from tensorboard.compat.proto import event_pb2
from tensorboard.util import tensor_util

failures = []


def check(condition, message):
    if not condition:
        failures.append(message)
    return condition


def read_jsonl(path):
    return [json.loads(line) for line in pathlib.Path(path).read_text().splitlines() if line]


def record_scalars(record):
    """The scalars a metrics.jsonl record shows as (README, "TensorBoard")."""
    kind, out = record["kind"], {}
    if kind == "epoch":
        for name in ("train_loss", "lr", "samples_per_second"):
            out[f"epoch/{name}"] = record[name]
        for part, value in record.get("train_losses", {}).items():
            out[f"epoch/train_losses/{part}"] = value
    if kind in ("epoch", "fit"):
        for metric, value in record.get("dev", {}).items():
            out[f"dev/{metric}"] = value
    if kind == "test":
        for metric, value in record["test"].items():
            out[f"test/{metric}"] = value
    return out


def expected_points(records):
    """tag -> [(step, value)]: epochs at their global step, a fit at 0, the test at the last."""
    points = collections.defaultdict(list)
    last_step = 0
    for record in records:
        if record["kind"] == "epoch":
            last_step = record["global_step"]
        step = last_step if record["kind"] in ("epoch", "test") else 0
        for tag, value in record_scalars(record).items():
            points[tag].append((step, value))
    return points, last_step


def check_scalars(acc, expected):
    tags = set(acc.Tags()["scalars"])
    record_tags = {t for t in tags if not t.startswith("train/")}
    check(record_tags == set(expected),
          f"scalar tags: extra {sorted(record_tags - set(expected))}, "
          f"missing {sorted(set(expected) - record_tags)}")
    for tag, points in expected.items():
        if tag not in tags:
            continue
        got = [(e.step, e.value) for e in acc.Scalars(tag)]
        if not check([s for s, _ in got] == sorted(s for s, _ in points),
                     f"{tag}: steps {[s for s, _ in got]}, expected {[s for s, _ in points]}"):
            continue
        for (step, value), (_, want) in zip(got, sorted(points, key=lambda p: p[0])):
            check(np.float32(value) == np.float32(want),
                  f"{tag} at step {step}: {value}, metrics.jsonl says {want}")


def check_step_losses(acc, records, every, last_step):
    epochs = [r for r in records if r["kind"] == "epoch"]
    tags = {t for t in acc.Tags()["scalars"] if t.startswith("train/")}
    parts = sorted(epochs[0].get("train_losses", {})) if epochs else []
    wanted = {"train/loss", *(f"train/{p}" for p in parts)} if epochs else set()
    check(tags == wanted, f"step tags {sorted(tags)}, expected {sorted(wanted)}")
    steps = [s for s in range(1, last_step + 1) if s % every == 0]
    for tag in sorted(tags & wanted):
        got = acc.Scalars(tag)
        check([e.step for e in got] == steps,
              f"{tag}: steps {[e.step for e in got]}, expected {steps}")
        check(all(math.isfinite(e.value) and e.value != 99.0 for e in got),
              f"{tag}: a value is not finite or is a stale session's 99: "
              f"{[e.value for e in got]}")
        if every != 1 or len(got) != len(steps):
            continue
        # One rank, every step: an epoch's value is the mean of its steps' (float32) values.
        name = "train_loss" if tag == "train/loss" else None
        begin = 0
        for record in epochs:
            values = [e.value for e in got if begin < e.step <= record["global_step"]]
            want = record[name] if name else record["train_losses"][tag[len("train/"):]]
            check(math.isclose(np.mean(values), want, rel_tol=1e-5, abs_tol=1e-7),
                  f"{tag}: mean {np.mean(values)} over epoch {record['epoch']}, "
                  f"metrics.jsonl says {want}")
            begin = record["global_step"]


def texts(acc, tag):
    if not check(tag in acc.Tags()["tensors"], f"no text '{tag}'"):
        return []
    check(acc.SummaryMetadata(tag).plugin_data.plugin_name == "text", f"{tag}: not a text summary")
    return [(e.step, tensor_util.make_ndarray(e.tensor_proto).item().decode())
            for e in acc.Tensors(tag)]


def check_texts(acc, every, sessions, resumed_from):
    config, model = texts(acc, "config"), texts(acc, "model")
    if not (config and model):
        return
    step, text = config[-1]
    check(step == resumed_from + 1, f"the last configuration is at step {step}")
    check(f"tensorboard_every_steps = {every}" in text, f"configuration text:\n{text}")
    check("model = " in text and "[train]" in text, f"configuration text:\n{text}")
    name = text.split("model = ", 1)[1].split()[0]
    check(model[-1][1].startswith(f"**{name}**") and " parameters, " in model[-1][1],
          f"model text:\n{model[-1][1]}")


def check_files(tb, sessions, resumed_from):
    files = sorted(tb.glob("events.out.tfevents.*"))
    check(len(files) == sessions, f"{len(files)} event files, expected {sessions}")
    for path in files:
        events = list(event_file_loader.LegacyEventFileLoader(str(path)).Load())
        check(len(events) >= 2 and events[0].file_version == "brain.Event:2"
              and events[1].session_log.status == event_pb2.SessionLog.START,
              f"{path.name} does not start with the file version and a SessionLog START")
    if files:
        start = list(event_file_loader.LegacyEventFileLoader(str(files[-1])).Load())[1]
        check(start.step == resumed_from + 1,
              f"the last session starts at step {start.step}, expected {resumed_from + 1}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("run", type=pathlib.Path)
    parser.add_argument("--every", type=int, required=True)
    parser.add_argument("--sessions", type=int, default=1)
    parser.add_argument("--resumed_from", type=int, default=0)
    parser.add_argument("--earlier_metrics", type=pathlib.Path)
    args = parser.parse_args()
    records = read_jsonl(args.run / "metrics.jsonl")
    expected, last_step = expected_points(records)
    if args.earlier_metrics:
        earlier, _ = expected_points(read_jsonl(args.earlier_metrics))
        for tag, points in earlier.items():
            if tag.startswith("test/"):
                expected[tag] = points + expected[tag]
    acc = ea.EventAccumulator(str(args.run / "tb"), size_guidance={ea.SCALARS: 0, ea.TENSORS: 0})
    acc.Reload()
    check_scalars(acc, expected)
    check_step_losses(acc, records, args.every, last_step)
    check_texts(acc, args.every, args.sessions, args.resumed_from)
    check_files(args.run / "tb", args.sessions, args.resumed_from)
    for message in failures:
        print(f"check_tensorboard: {message}")
    if failures:
        raise SystemExit(1)
    print(f"check_tensorboard: ok ({len(expected)} record scalars, last step {last_step})")


if __name__ == "__main__":
    main()
