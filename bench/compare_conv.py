#!/usr/bin/python3
"""Panagrad's convolution kernels vs PyTorch's (oneDNN), every distinct convolution of lenet5 and resnet8.

Usage (from the repository root, after `mvn -q -pl engine,bench -am package -DskipTests`):
    /usr/bin/python3 bench/compare_conv.py [--quick] [--rounds N] [--shapes a,b] [--java PATH] [--python PATH] [--pin CPU]

Batch 128, 28 x 28 inputs, float32, the shapes of bench's ConvBench (lenet5.0 = Conv2d(1,6,5,padding=2), ...).
Three passes per shape: the forward pass with bias (F.conv2d(x, w, b)), the input gradient and the weight
gradient (torch.ops.aten.convolution_backward with one output requested, the call autograd makes). PyTorch runs
in one subprocess per thread count (torch.set_num_threads, OMP_WAIT_POLICY=PASSIVE, OPENBLAS_CORETYPE and
OPENBLAS_L2_SIZE removed), each pass timed call by call after a warm-up (the median); it reports whether
oneDNN (mkldnn) is on. Shape by shape, PyTorch and then ConvBench (JMH sample mode, median), so both sides of a
ratio see the machine within a minute; with --rounds N all of it N times, and the table shows medians over the
rounds, the median of the per-round ratios and every round's ratio. "best" compares each side at its faster
thread count.
"""
import argparse
import json
import os
import subprocess
import sys
import time
from statistics import median

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compare_gemm import java_version, jmh_json, pinned_to, thread_runs, require_jar_and_quiet_machine  # noqa: E402
from compare_training import torch_env  # noqa: E402

THREADS = (1, 2)
BATCH = 128
# name: (in channels, height, width, out channels, kernel, stride, padding), as in ConvBench.SHAPES.
SHAPES = {
    "lenet5.0": (1, 28, 28, 6, 5, 1, 2),
    "lenet5.3": (6, 14, 14, 16, 5, 1, 0),
    "resnet8.conv1": (1, 28, 28, 16, 3, 1, 1),
    "resnet8.layer1": (16, 28, 28, 16, 3, 1, 1),
    "resnet8.layer2.conv1": (16, 28, 28, 32, 3, 2, 1),
    "resnet8.layer2.conv2": (32, 14, 14, 32, 3, 1, 1),
    "resnet8.layer2.downsample": (16, 28, 28, 32, 1, 2, 0),
    "resnet8.layer3.conv1": (32, 14, 14, 64, 3, 2, 1),
    "resnet8.layer3.conv2": (64, 7, 7, 64, 3, 1, 1),
    "resnet8.layer3.downsample": (32, 14, 14, 64, 1, 2, 0),
}
PASSES = ("forward", "input_grad", "weight_grad")

TORCH_WORKER = r'''
import json, sys, time, statistics
import torch
import torch.nn.functional as F
shapes, batch, threads, min_time = json.loads(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
torch.set_num_threads(threads)
info = {"torch": torch.__version__, "threads": torch.get_num_threads(),
        "mkldnn": torch.backends.mkldnn.is_available() and torch._C._get_mkldnn_enabled()}

def median_seconds(fn):
    for _ in range(10):
        fn()
    samples, deadline = [], time.perf_counter() + min_time
    while time.perf_counter() < deadline or len(samples) < 20:
        t0 = time.perf_counter(); fn(); samples.append(time.perf_counter() - t0)
    return statistics.median(samples)

torch.manual_seed(0)
out = {"info": info, "results": {}}
with torch.no_grad():
    for name, (c, h, w, o, k, s, p) in shapes.items():
        x = torch.rand(batch, c, h, w) * 2 - 1
        wt = torch.rand(o, c, k, k) * 2 - 1
        b = torch.rand(o) * 2 - 1
        y = F.conv2d(x, wt, b, stride=s, padding=p)
        g = torch.rand_like(y) * 2 - 1
        def backward(mask):
            return lambda: torch.ops.aten.convolution_backward(g, x, wt, [o], [s, s], [p, p], [1, 1], False, [0, 0], 1, mask)
        out["results"][name] = {
            "forward": median_seconds(lambda: F.conv2d(x, wt, b, stride=s, padding=p)),
            "input_grad": median_seconds(backward([True, False, False])),
            "weight_grad": median_seconds(backward([False, True, False])),
        }
print(json.dumps(out))
'''


def run_torch(python, threads, shapes, min_time, pin=None):
    proc = subprocess.run([python, "-c", TORCH_WORKER, json.dumps(shapes), str(BATCH), str(threads), str(min_time)],
                          env=torch_env(threads), capture_output=True, text=True, preexec_fn=pinned_to(pin))
    if proc.returncode != 0:
        sys.exit("PyTorch benchmark failed:\n" + proc.stderr[-3000:])
    return json.loads(proc.stdout)


def run_jmh(java, name, quick, pin):
    """ConvBench at one shape, every pass, both thread counts (one JVM, or with pin the 1-thread run alone)."""
    iters = ["-wi", "2", "-i", "3"] if quick else ["-wi", "3", "-i", "5"]
    times = {}
    for threads, cpu in thread_runs(THREADS, pin):
        print(f"  jmh {name} ...", file=sys.stderr, flush=True)
        args = ["ConvBench", "-p", f"shape={name}", "-p", "threads=" + ",".join(map(str, threads)), *iters,
                "-bm", "sample", "-tu", "us"]
        for r in jmh_json(java, args, cpu):
            times[(r["params"]["pass"], int(r["params"]["threads"]))] = r["primaryMetric"]["scorePercentiles"]["50.0"] * 1e-6
    return times


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--java", default="java")
    ap.add_argument("--python", default="/usr/bin/python3", help="interpreter with torch")
    ap.add_argument("--quick", action="store_true", help="fewer iterations")
    ap.add_argument("--rounds", type=int, default=1, help="measure both sides this many times, alternating")
    ap.add_argument("--shapes", help="comma-separated subset of " + ", ".join(SHAPES))
    ap.add_argument("--pin", type=int, metavar="CPU", help="run both sides' 1-thread measurements on this CPU only")
    args = ap.parse_args()
    names = args.shapes.split(",") if args.shapes else list(SHAPES)
    unknown = [n for n in names if n not in SHAPES]
    if unknown:
        sys.exit(f"unknown shapes {unknown}; known: {', '.join(SHAPES)}")
    require_jar_and_quiet_machine()

    rounds, info = [], None
    for r in range(args.rounds):
        torch_times, ours = {}, {}
        for name in names:
            for t in THREADS:
                print(f"  round {r + 1}: PyTorch {name}, {t} thread(s) ...", file=sys.stderr, flush=True)
                run = run_torch(args.python, t, {name: SHAPES[name]}, 0.5 if args.quick else 2.0,
                                args.pin if t == 1 else None)
                info = run["info"]
                for p, seconds in run["results"][name].items():
                    torch_times[(name, p, t)] = seconds
            for (p, t), seconds in run_jmh(args.java, name, args.quick, args.pin).items():
                ours[(name, p, t)] = seconds
        rounds.append((ours, torch_times))

    print(f"{time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} cores, {java_version(args.java)}; PyTorch "
          f"{info['torch']}, oneDNN {'on' if info['mkldnn'] else 'OFF'}. Batch {BATCH}. {args.rounds} round(s): "
          "medians over rounds of the median time per call, and each round's ratio (PyTorch time / Panagrad time: "
          "above 1, Panagrad is faster)." + ("" if args.pin is None else f" 1-thread runs pinned to CPU {args.pin}.") + "\n")
    print("| shape | pass | threads | Panagrad ms | PyTorch ms | PyTorch / Panagrad | per round |")
    print("|---|---|---|---:|---:|---:|---|")
    for name in names:
        for p in PASSES:
            for t in THREADS + ("best",):
                def at(times):
                    return min(times[(name, p, u)] for u in THREADS) if t == "best" else times[(name, p, t)]
                pg = [at(ours) for ours, _ in rounds]
                pt = [at(tt) for _, tt in rounds]
                ratios = [b / a for a, b in zip(pg, pt)]
                print(f"| {name} | {p} | {t} | {median(pg) * 1e3:.2f} | {median(pt) * 1e3:.2f} | {median(ratios):.2f} "
                      f"| {' '.join(f'{x:.2f}' for x in ratios)} |")


if __name__ == "__main__":
    main()
