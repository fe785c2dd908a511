#!/usr/bin/env python3
"""The step-time model of the sharded item table on N GPUs (docs/scaling.md).

    scripts/scaling_model.py bench/item_sharding_bench.json [--gpus 8,64 ...]

Inputs measured by bench/item_sharding_bench.sh (its JSON list): the catalog, batch, window and
embedding sizes, and the bytes each rank sends per step at np = 1, 2, 4, from which the number of
distinct items a rank looks up per step (U) is recovered and the message-size formula below is
checked against every measured run. Parameters (flags): the GPU's sustained FP32 rate and memory
bandwidth, NVLink bandwidth inside a node of 8 GPUs, InfiniBand bandwidth per GPU between nodes,
and a per-collective latency.

Per rank and step, with N ranks, B examples per rank, window L, dimension D, V items (4-byte floats,
8-byte ids), as ddp/item_sharding.cpp sends them:
  lookup   all-to-all of ids N*K*8, rows N*K*D*4 forward and N*K*D*4 backward, K ~ U/N
  softmax  all-gather of hidden B*D*4 and targets B*8, of statistics 3*N*B*4, of the upstream
           gradient 4; all-reduce of the hidden gradient N*B*D*4
  dense    all-reduce of the dense layers (D*D*4 in the benchmark)
Times: an all-gather of s bytes per rank moves (N-1)*s, an all-reduce of s 2(N-1)/N*s, an
all-to-all of s (N-1)/N*s, through the slowest link the collective crosses (NVLink for N <= 8,
InfiniBand beyond). Compute per rank does not shrink with N at a fixed per-rank batch: each rank
scores all N*B examples against V/N items, 8*B*V*D flops (forward, recomputed forward, two backward
products) and ~5 passes over B*V floats.
"""
import argparse
import json
import sys


def sent_bytes(n, b, d, u):
    """What one rank hands to the communicator per step (the benchmark's 'sent' counter)."""
    k = u / n
    lookup = n * 8 + n * k * 8 + 2 * n * k * d * 4
    softmax = 8 + b * d * 4 + b * 8 + 3 * n * b * 4 + 4 + n * b * d * 4
    dense = d * d * 4 if n > 1 else 0
    return lookup + softmax + dense


def comm_ms(n, b, d, u, bw_gbps, alpha_us, collectives=11):
    gather = (n - 1) * (b * d * 4 + b * 8 + 3 * n * b * 4 + 4 + n * 8 * 2)
    reduce = 2 * (n - 1) / n * (n * b * d * 4 + d * d * 4)
    a2a = (n - 1) / n * (u * 8 + 2 * u * d * 4)
    seconds = (gather + reduce + a2a) / (bw_gbps * 1e9) + collectives * alpha_us * 1e-6
    return seconds * 1e3, {"all_gather_mb": gather / 2**20, "all_reduce_mb": reduce / 2**20,
                           "all_to_all_mb": a2a / 2**20}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("bench_json")
    p.add_argument("--gpus", default="8,64")
    p.add_argument("--gpu_tflops", type=float, default=40.0, help="sustained FP32 (H100 SXM: 67 peak)")
    p.add_argument("--hbm_gbps", type=float, default=2500.0, help="sustained HBM (H100 SXM: 3350 peak)")
    p.add_argument("--nvlink_gbps", type=float, default=300.0, help="per GPU inside a node")
    p.add_argument("--ib_gbps", type=float, default=40.0, help="per GPU between nodes (NDR 400 Gb/s)")
    p.add_argument("--alpha_nvlink_us", type=float, default=15.0)
    p.add_argument("--alpha_ib_us", type=float, default=40.0)
    p.add_argument("--gpus_per_node", type=int, default=8)
    p.add_argument("--items", type=float, default=0, help="catalog for the model (0: the bench's)")
    args = p.parse_args()
    runs = json.load(open(args.bench_json))
    sharded = [r for r in runs if r["mode"] == "sharded" and r.get("allocated") and r["items"] == 1000000] or \
              [r for r in runs if r["mode"] == "sharded" and r.get("allocated")]
    base = min(sharded, key=lambda r: r["world_size"])
    b, d = base["batch_per_rank"], base["dim"]
    # U from the one-rank run: sent = 520 U + (the softmax part), at N = 1.
    fixed = sent_bytes(1, b, d, 0)
    u = (base["sent_mb_per_step"] * 2**20 - fixed) / (8 + 2 * d * 4 + 8)
    print(f"measured inputs: V={base['items']:,} B={b} L={base['seq_len']} D={d}; "
          f"distinct items per rank and step U={u:,.0f}")
    print("\n| run | np | sent MB measured | sent MB by the formula | step ms (CPU) | comm share |")
    print("|---|---|---|---|---|---|")
    for r in sorted(sharded, key=lambda r: r["world_size"]):
        model = sent_bytes(r["world_size"], r["batch_per_rank"], r["dim"], u) / 2**20
        print(f"| sharded {r['items']:,} | {r['world_size']} | {r['sent_mb_per_step']:.2f} | "
              f"{model:.2f} | {r['step_ms']:.0f} | {100 * r['comm_share']:.1f}% |")
    v = args.items or base["items"]
    flops = 8 * b * v * d
    compute = flops / (args.gpu_tflops * 1e12) * 1e3 + 5 * b * v * 4 / (args.hbm_gbps * 1e9) * 1e3
    print(f"\nmodel, V={v:,.0f}: compute per GPU and step {compute:.2f} ms "
          f"({flops / 1e9:.0f} GFLOP at {args.gpu_tflops} TFLOPS + 5 passes over B*V at {args.hbm_gbps} GB/s)")
    print("\n| GPUs | link | all-gather MB | all-reduce MB | all-to-all MB | comm ms | step ms | "
          "comm share | table+Adam per GPU GB |")
    print("|---|---|---|---|---|---|---|---|---|")
    out = []
    for n in [int(x) for x in args.gpus.split(",")]:
        inter = n > args.gpus_per_node
        bw = args.ib_gbps if inter else args.nvlink_gbps
        alpha = args.alpha_ib_us if inter else args.alpha_nvlink_us
        ms, parts = comm_ms(n, b, d, u, bw, alpha)
        memory = v * d * 4 * 4 / n / 1e9
        print(f"| {n} | {'InfiniBand' if inter else 'NVLink'} {bw:.0f} GB/s | {parts['all_gather_mb']:.2f} | "
              f"{parts['all_reduce_mb']:.2f} | {parts['all_to_all_mb']:.2f} | {ms:.2f} | {compute + ms:.2f} | "
              f"{100 * ms / (compute + ms):.0f}% | {memory:.2f} |")
        out.append({"gpus": n, "comm_ms": ms, "step_ms": compute + ms, **parts})
    json.dump({"distinct_items_per_rank": u, "compute_ms": compute, "gpus": out}, sys.stderr)
    print(file=sys.stderr)


if __name__ == "__main__":
    main()
