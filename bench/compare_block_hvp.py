#!/usr/bin/python3
"""Hessian-vector products at one point, one vector at a time and in blocks of k: Panagrad against PyTorch.

Usage (from the repository root, after `mvn -q -pl engine,bench -am package -DskipTests`):
    flock /tmp/jmh.lock /usr/bin/python3 bench/compare_block_hvp.py [--quick] [--rounds N] [--blocks 4,8,16]

Panagrad: BlockHvpBench (forward over reverse at a fixed point; block = 1 is CurvatureProduct.atCurrentPoint,
block = k is BlockCurvatureProduct.atCurrentPoint). PyTorch: the gradient graph built once (create_graph=True)
and backpropagated again per call (retain_graph=True, as PyHessian and compare_training.py's products at one
point), with one vector per call, and with k vectors per call through autograd.grad(..., is_grads_batched=True)
(vmap over the backward pass: PyTorch's own batched product). Every time is per product (a call's time / k).
The ratio divides Panagrad's time per product at each block size by PyTorch's best time per product at any block
size measured (single or batched), at the same thread count. Models: a ReLU MLP 784-500-10 at batch 128 and
784-128-10 at batch 64. PyTorch runs with OMP_WAIT_POLICY=PASSIVE and OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE
removed; the model's PyTorch run and Panagrad's JMH run alternate, model by model, in each round.
"""
import argparse
import json
import os
import subprocess
import sys
import time
from statistics import median

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compare_gemm import JAR, blas_kind, java_version, require_openblas  # noqa: E402
from compare_training import THREADS, run_jmh, torch_env  # noqa: E402

MODELS = [("784-500-10", 128), ("784-128-10", 64)]

TORCH_WORKER = r'''
import json, sys, time, statistics
import torch
layers, batch, blocks, threads, min_time = sys.argv[1], int(sys.argv[2]), json.loads(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
torch.set_num_threads(threads)
maps = open("/proc/self/maps").read()
libs = sorted({l.split()[-1] for l in maps.splitlines() if "blas" in l.lower() or "mkl" in l.lower()})
info = {"torch": torch.__version__, "libs": libs, "threads": torch.get_num_threads()}

def median_seconds(fn):
    for _ in range(10):
        fn()
    samples = []
    deadline = time.perf_counter() + min_time
    while time.perf_counter() < deadline or len(samples) < 20:
        t0 = time.perf_counter(); fn(); samples.append(time.perf_counter() - t0)
    return statistics.median(samples)

torch.manual_seed(0)
w = [int(x) for x in layers.split("-")]
mods = []
for i in range(len(w) - 1):
    mods.append(torch.nn.Linear(w[i], w[i + 1]))
    if i < len(w) - 2:
        mods.append(torch.nn.ReLU())
net = torch.nn.Sequential(*mods)
x = torch.rand(batch, w[0]); y = torch.randint(0, w[-1], (batch,))
params = list(net.parameters())
g = torch.autograd.grad(torch.nn.CrossEntropyLoss()(net(x), y), params, create_graph=True)
per_product = {}
for k in blocks:
    if k == 1:
        v = [torch.randint(0, 2, p.shape).float() * 2 - 1 for p in params]
        fn = lambda: torch.autograd.grad(g, params, grad_outputs=v, retain_graph=True)
    else:
        vb = [torch.randint(0, 2, (k,) + tuple(p.shape)).float() * 2 - 1 for p in params]
        fn = lambda: torch.autograd.grad(g, params, grad_outputs=vb, retain_graph=True, is_grads_batched=True)
    per_product[str(k)] = median_seconds(fn) / k
print(json.dumps({"info": info, "per_product": per_product}))
'''


def run_torch(python, layers, batch, blocks, threads, min_time):
    proc = subprocess.run([python, "-c", TORCH_WORKER, layers, str(batch), json.dumps(blocks), str(threads), str(min_time)],
                          env=torch_env(threads), capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit("PyTorch benchmark failed:\n" + proc.stderr[-3000:])
    return json.loads(proc.stdout)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--java", default="java")
    ap.add_argument("--python", default="/usr/bin/python3", help="interpreter with torch")
    ap.add_argument("--quick", action="store_true", help="fewer iterations")
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--blocks", default="4,8,16", help="block sizes besides 1")
    args = ap.parse_args()
    blocks = [1] + [int(b) for b in args.blocks.split(",")]
    # Run under `flock /tmp/jmh.lock`, which keeps other benchmarks off the machine (a pgrep for benchmarks.jar
    # would also see the commands still waiting for the lock).
    if not os.path.exists(JAR):
        sys.exit(f"{JAR} is missing: build it with `mvn -q -pl engine,bench -am package -DskipTests`.")
    load = [os.getloadavg()[0]]
    rounds = []
    for r in range(args.rounds):
        torch_pp, ours = {}, {}
        for layers, batch in MODELS:
            for t in THREADS:
                print(f"  round {r + 1}: PyTorch {layers} b{batch}, {t} thread(s) ...", file=sys.stderr, flush=True)
                run = run_torch(args.python, layers, batch, blocks, t, 1.0 if args.quick else 3.0)
                require_openblas(run["info"]["libs"], "PyTorch")
                info = run["info"]
                for k, s in run["per_product"].items():
                    torch_pp[(layers, batch, t, int(k))] = s * 1e3
            params = {"model": layers, "batch": str(batch), "threads": ",".join(map(str, THREADS)),
                      "block": ",".join(map(str, blocks))}
            for res in run_jmh(args.java, "BlockHvpBench", params, args.quick):
                p = res["params"]
                k = int(p["block"])
                ours[(p["model"], int(p["batch"]), int(p["threads"]), k)] = res["primaryMetric"]["scorePercentiles"]["50.0"] / 1000 / k
        rounds.append((torch_pp, ours))
        load.append(os.getloadavg()[0])

    print(f"{time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} cores, {java_version(args.java)}; PyTorch {info['torch']} "
          f"on {blas_kind(info['libs'])}; load average (1 min) at start and after each round: "
          + ", ".join(f"{x:.1f}" for x in load) + f". {args.rounds} round(s); times per product in ms, medians over rounds;"
          " the ratio is Panagrad's time per product over PyTorch's best per-product time at that thread count"
          " (any block size), per round and its median.\n")
    print("| model | batch | threads | block | Panagrad ms/product | PyTorch ms/product (same block) | PyTorch best ms/product "
          "| Panagrad / PyTorch best | per round |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for layers, batch in MODELS:
        for t in THREADS:
            best = [min(tp[(layers, batch, t, k)] for k in blocks) for tp, _ in rounds]
            for k in blocks:
                pg = [o[(layers, batch, t, k)] for _, o in rounds]
                pt = [tp[(layers, batch, t, k)] for tp, _ in rounds]
                ratios = [a / b for a, b in zip(pg, best)]
                print(f"| {layers} | {batch} | {t} | {k} | {median(pg):.3f} | {median(pt):.3f} | {median(best):.3f} "
                      f"| {median(ratios):.2f} | {' '.join(f'{x:.2f}' for x in ratios)} |")


if __name__ == "__main__":
    main()
