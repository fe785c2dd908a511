#!/usr/bin/env python3
"""Runs the fault tests and renders the fault table of docs/reliability.md from what they measured.

Each test of test_ddp_reliability (tests/ddp/reliability_*_test.cpp) injects one fault into a
real job and appends one JSON line to $RSDIST_RELIABILITY_OUT/faults.jsonl: the fault, how it was
injected, what was checked, the figure measured, the exit status, passed/failed/skipped and the
test's name. This script runs them (or reads a faults.jsonl given with --jsonl) and replaces the
table between the markers in the document; the prose around it is written by hand.

    scripts/reliability_table.py --build build            # run the tests, rewrite the table
    scripts/reliability_table.py --jsonl faults.jsonl     # render lines measured elsewhere

Exit status: 0 when every test passed, 1 when one failed or none reported (the table is still
written, with the failures marked), 2 on a usage error.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

BEGIN = "<!-- fault-table:begin (scripts/reliability_table.py writes this part) -->"
END = "<!-- fault-table:end -->"

# Rows in the order of the list of faults: test names by prefix.
ORDER = [
    "KillDuring.TheForwardPass",
    "KillDuring.TheGradientAllReduce",
    "KillDuring.TheCheckpointWrite",
    "KillDuring.TheShardedEvaluation",
    "SigtermDuring.",
    "DiskFull.",
    "Reliability/DamagedCheckpoint.",
    "Reliability/DamagedCorpusShard.",
    "SecondJob.",
    "Replicas.",
]


def rank_of(row):
    for i, prefix in enumerate(ORDER):
        if row["test"].startswith(prefix):
            return i
    return len(ORDER)


def cell(text):
    """A table cell: digests shortened, source locations of errors dropped, '|' escaped."""
    text = str(text if text is not None else "")
    text = re.sub(r"\b([0-9a-f]{12})[0-9a-f]{52}\b", r"\1…", text)
    text = re.sub(r" \[src/[^\]]+:[0-9]+\]", "", text)
    return text.replace("|", "\\|").replace("\n", " ")


def render(rows):
    lines = [
        "| Fault | How it is injected | What the test checks | Measured | Result | Test |",
        "|---|---|---|---|---|---|",
    ]
    for row in sorted(rows, key=rank_of):  # stable: a group keeps the order the tests ran in
        lines.append("| " + " | ".join(cell(row[k]) for k in
                                         ("fault", "injected", "checked", "figure", "result")) +
                     f" | `{cell(row['test'])}` |")
    cores = os.cpu_count()
    lines.append("")
    lines.append(f"Measured by `scripts/reliability_table.py` on a {cores}-core machine "
                 "(ranks oversubscribed on its cores).")
    return "\n".join(lines)


def run_tests(build, out):
    """Runs the fault tests with their rows going to `out`/faults.jsonl; their exit status."""
    binary = Path(build) / "tests" / "test_ddp_reliability"
    if not binary.exists():
        sys.exit(f"reliability_table.py: {binary} does not exist; build it first "
                 f"(ninja -C {build} test_ddp_reliability rsdist_probe)")
    env = dict(os.environ, RSDIST_RELIABILITY_OUT=str(out))
    env.pop("RSDIST_FAULT", None)
    return subprocess.run([str(binary)], env=env, check=False).returncode


def read_rows(jsonl):
    if not jsonl.exists():
        return []
    return [json.loads(line) for line in jsonl.read_text().splitlines() if line.strip()]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", help="build directory holding tests/test_ddp_reliability")
    parser.add_argument("--jsonl", help="render this faults.jsonl instead of running the tests")
    parser.add_argument("--doc", default=str(Path(__file__).resolve().parent.parent / "docs" /
                                             "reliability.md"), help="the document to update")
    args = parser.parse_args()
    if bool(args.build) == bool(args.jsonl):
        parser.error("give one of --build or --jsonl")
    status = 0
    if args.jsonl:
        rows = read_rows(Path(args.jsonl))
    else:
        with tempfile.TemporaryDirectory(prefix="rsdist-reliability-") as out:
            status = run_tests(args.build, out)
            rows = read_rows(Path(out) / "faults.jsonl")
    doc = Path(args.doc)
    text = doc.read_text()
    if BEGIN not in text or END not in text:
        sys.exit(f"reliability_table.py: {doc} lacks the markers {BEGIN} ... {END}")
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    doc.write_text(head + BEGIN + "\n" + render(rows) + "\n" + END + tail)
    failed = [r["test"] for r in rows if r["result"] == "failed"]
    print(f"{doc}: {len(rows)} row(s), {len(failed)} failed" +
          (": " + ", ".join(failed) if failed else ""))
    return 1 if status != 0 or failed or not rows else 0


if __name__ == "__main__":
    sys.exit(main())
