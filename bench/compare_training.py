#!/usr/bin/python3
"""Panagrad vs PyTorch CPU: a training step and a double-backward HVP, same model, batch and threads, one run.

Usage (from the repository root, after `mvn -q -pl engine,bench -am package -DskipTests`):
    /usr/bin/python3 bench/compare_training.py [--quick] [--rounds N] [--models A,B] [--no-hvp] [--no-step] [--no-at-point] [--java PATH] [--python PATH] [--pin CPU]

The training step is forward, softmax cross-entropy (mean), backward and a plain SGD update, float32, on
a ReLU MLP or a zoo CNN (lenet5, resnet8: the modules of mnist-demo/scripts/torch_interop.py, in training mode, so
batch norm uses and differentiates through the batch statistics on both sides). --models picks some. The HVP is PyTorch's double backward (autograd.grad with create_graph=True, then the gradient
of <g, v>) against Panagrad's HvpBench. PyTorch runs in one subprocess per thread count with
torch.set_num_threads(t), OMP_WAIT_POLICY=PASSIVE (2 threads on 2 cores fight otherwise),
OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE removed and glibc keeping freed memory (bench/torch_memory.py says why; the
run prints PyTorch's page faults per call); it is timed as the median of many timed repetitions after a
warm-up. Refuses to compare against the reference BLAS. Model by model, PyTorch runs and then Panagrad's JMH
run, so that both sides of each ratio see the machine within a minute. With --rounds N both sides are
measured N times, alternating; the tables show medians over the rounds, the median of the per-round ratios
and every round's ratio. With --pin CPU both sides' 1-thread measurements run on that CPU only (see compare_gemm.py).
"""
import argparse
import json
import os
import subprocess
import sys
import time
from statistics import median

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compare_gemm import (THREADPOOL_PROBE, blas_kind, java_version, jmh_json, numpy_env,  # noqa: E402
                          openblas_kernels, pinned_to, require_jar_and_quiet_machine, require_openblas, thread_runs)
from torch_memory import with_kept_memory  # noqa: E402

THREADS = (1, 2)
TRAIN = [("784-500-10", b) for b in (64, 128, 256)] + [("784-128-10", b) for b in (64, 128, 256)] + \
    [("lenet5", 128), ("resnet8", 128)]
HVP = [("784-500-10", 128), ("lenet5", 128), ("resnet8", 128)]
SCRIPTS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "mnist-demo", "scripts")

TORCH_WORKER = THREADPOOL_PROBE + r'''
import json, sys, time, statistics
import torch
train, hvp, threads, min_time = json.loads(sys.argv[1]), json.loads(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
sys.path[0:0] = [sys.argv[5], sys.argv[6]]
from torch_interop import build
from torch_step import sgd_step
from torch_memory import minor_faults
torch.set_num_threads(threads)
maps = open("/proc/self/maps").read()
libs = sorted({l.split()[-1] for l in maps.splitlines() if "blas" in l.lower() or "mkl" in l.lower()})
info = {"torch": torch.__version__, "libs": libs, "threads": torch.get_num_threads()}
add_threadpools(info)

def model(layers):
    """The network, its input shape per example and its class count: an MLP width list or a zoo name."""
    if layers[0].isdigit():
        w = [int(x) for x in layers.split("-")]
        return build("mlp", w, "relu").train(), [w[0]], w[-1]
    return build(layers).train(), [1, 28, 28], 10

faults = {}

def median_seconds(fn, name):
    for _ in range(20):
        fn()
    samples = []
    f0 = minor_faults()
    deadline = time.perf_counter() + min_time
    while time.perf_counter() < deadline or len(samples) < 30:
        t0 = time.perf_counter(); fn(); samples.append(time.perf_counter() - t0)
    faults[name] = (minor_faults() - f0) / len(samples)
    return statistics.median(samples)

torch.manual_seed(0)
out = {"info": info, "train": {}, "hvp": {}}
for layers, batch in train:
    net, shape, classes = model(layers)
    x = torch.rand(batch, *shape); y = torch.randint(0, classes, (batch,))
    out["train"][f"{layers}/{batch}"] = median_seconds(sgd_step(net, x, y), f"{layers}/{batch} step")
for layers, batch in hvp:
    net, shape, classes = model(layers)
    x = torch.rand(batch, *shape); y = torch.randint(0, classes, (batch,))
    params = list(net.parameters())
    v = [torch.randint(0, 2, p.shape).float() * 2 - 1 for p in params]
    lossf = torch.nn.CrossEntropyLoss()
    def grad():
        g = torch.autograd.grad(lossf(net(x), y), params)
    def hvp_fn():
        g = torch.autograd.grad(lossf(net(x), y), params, create_graph=True)
        dot = sum((gi * vi).sum() for gi, vi in zip(g, v))
        hv = torch.autograd.grad(dot, params)
    # Many products at one point, as PyHessian's power iteration and Lanczos do: the gradient graph is built
    # once (create_graph=True) and each product backpropagates through it again (retain_graph=True).
    g_at_point = torch.autograd.grad(lossf(net(x), y), params, create_graph=True)
    def hvp_at_point():
        hv = torch.autograd.grad(g_at_point, params, grad_outputs=v, retain_graph=True)
    key = f"{layers}/{batch}"
    out["hvp"][key] = {"gradient": median_seconds(grad, key + " gradient"), "hvp": median_seconds(hvp_fn, key + " hvp"),
                       "hvp_at_point": median_seconds(hvp_at_point, key + " hvp at point")}
info["minor_faults_per_call"] = faults
print(json.dumps(out))
'''


def torch_env(threads):
    env = with_kept_memory(numpy_env(threads))
    env["OMP_WAIT_POLICY"] = "PASSIVE"
    return env


def run_torch(python, threads, train, hvp, min_time, pin=None):
    proc = subprocess.run([python, "-c", TORCH_WORKER, json.dumps(train), json.dumps(hvp), str(threads),
                           str(min_time), SCRIPTS, os.path.dirname(os.path.abspath(__file__))], env=torch_env(threads), capture_output=True, text=True,
                          preexec_fn=pinned_to(pin))
    if proc.returncode != 0:
        sys.exit("PyTorch benchmark failed:\n" + proc.stderr[-3000:])
    return json.loads(proc.stdout)


# HvpBench's gradient and its two HVP modes, without the products at one point.
HVP_AT_CALL = r"HvpBench\.(gradient|hvpReverseOverReverse|hvpForwardOverReverse)$"


def run_jmh_threads(java, bench, params, quick, pin):
    """The benchmark with these params at every thread count: in one JVM, or with pin the 1-thread run alone on
    that CPU."""
    return [r for threads, cpu in thread_runs(THREADS, pin)
            for r in run_jmh(java, bench, {**params, "threads": ",".join(map(str, threads))}, quick, cpu)]


def run_jmh(java, bench, params, quick, pin=None):
    iters = ["-wi", "3", "-i", "3"] if quick else ["-wi", "5", "-i", "5"]
    args = [bench, *iters, "-bm", "sample", "-tu", "us"]
    for k, v in params.items():
        args += ["-p", f"{k}={v}"]
    print(f"  jmh {bench} {params} ...", file=sys.stderr, flush=True)
    return jmh_json(java, args, pin)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--java", default="java")
    ap.add_argument("--python", default="/usr/bin/python3", help="interpreter with torch")
    ap.add_argument("--quick", action="store_true", help="fewer iterations")
    ap.add_argument("--rounds", type=int, default=1, help="measure both sides this many times, alternating")
    ap.add_argument("--pin", type=int, metavar="CPU", help="run both sides' 1-thread measurements on this CPU only")
    ap.add_argument("--models", help="comma-separated models to run (default: all), e.g. lenet5,resnet8, or "
                    "model/batch for one batch size, e.g. 784-128-10/64")
    ap.add_argument("--no-hvp", action="store_true", help="the training step only (a shorter run)")
    ap.add_argument("--no-step", action="store_true", help="the gradient and HVPs only (a shorter run)")
    ap.add_argument("--no-at-point", action="store_true",
                    help="skip the products at one point (HvpBench's ...AtPoint methods: a shorter run)")
    args = ap.parse_args()
    if args.models:
        wanted = set(args.models.split(","))
        TRAIN[:] = [m for m in TRAIN if m[0] in wanted or f"{m[0]}/{m[1]}" in wanted]
        HVP[:] = [m for m in HVP if m[0] in wanted or f"{m[0]}/{m[1]}" in wanted]
    if args.no_hvp:
        HVP.clear()
    if args.no_step:
        TRAIN.clear()

    probe = subprocess.run([args.python, "-c", "import torch"], capture_output=True, text=True)
    if probe.returncode != 0:
        sys.exit(f"PyTorch is missing for {args.python}: nothing to compare against.\n"
                 "Debian: apt-get install python3-torch libopenblas0-pthread, or pass --python.\n"
                 + probe.stderr.strip()[-500:])
    require_jar_and_quiet_machine()

    # Model by model, PyTorch then JMH, so both sides of a ratio are measured within a minute of each other
    # (this VM's speed drifts from minute to minute; whole rounds apart, the ratios swung 0.7-1.7x).
    rounds = []
    for r in range(args.rounds):
        torch_runs = {t: {"train": {}, "hvp": {}} for t in THREADS}
        us, ms = {}, {}
        for bench, models in (("TrainStepBench", TRAIN), ("HvpBench", HVP)):
            training = bench == "TrainStepBench"
            for model in models:
                layers, batch = model
                for t in THREADS:
                    print(f"  round {r + 1}: PyTorch {layers} b{batch}, {t} thread(s) ...", file=sys.stderr, flush=True)
                    run = run_torch(args.python, t, [model] if training else [], [] if training else [model],
                                    1.0 if args.quick else 3.0, args.pin if t == 1 else None)
                    require_openblas(run["info"]["libs"], "PyTorch")
                    torch_runs[t]["info"] = run["info"]
                    torch_runs[t].setdefault("faults", {}).update(run["info"]["minor_faults_per_call"])
                    torch_runs[t]["train"].update(run["train"])
                    torch_runs[t]["hvp"].update(run["hvp"])
                pattern = bench if training or not args.no_at_point else HVP_AT_CALL
                for res in run_jmh_threads(args.java, pattern, {"model": layers, "batch": str(batch)}, args.quick, args.pin):
                    key = (res["params"]["model"], int(res["params"]["batch"]), int(res["params"]["threads"]))
                    median_us = res["primaryMetric"]["scorePercentiles"]["50.0"]
                    if training:
                        us[key] = median_us
                    else:
                        ms.setdefault(key, {})[res["benchmark"].rsplit(".", 1)[1]] = median_us / 1000
        rounds.append((torch_runs, us, ms))

    def per_round(values):
        return " ".join(f"{v:.2f}" for v in values)

    info = rounds[0][0][1]["info"]
    print(f"{time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} cores, {java_version(args.java)}; "
          f"PyTorch {info['torch']} on {blas_kind(info['libs'])}. {args.rounds} round(s): medians over rounds "
          "(within a round, the median time per call on both sides: JMH sample mode, PyTorch timed call by call), and each round's ratio."
          + ("" if args.pin is None else f" 1-thread runs of both sides pinned to CPU {args.pin}."))
    print("PyTorch runs with glibc keeping freed memory (bench/torch_memory.py); its minor page faults per call, "
          "the most over the rounds: " + "; ".join(
              f"{t} thread(s): " + ", ".join(f"{case} {max(r[0][t]['faults'][case] for r in rounds):.0f}"
                                             for case in rounds[0][0][t]["faults"]) for t in THREADS))
    print("OpenBLAS under PyTorch: " + "; ".join(f"{t} thread(s): {openblas_kernels(rounds[0][0][t]['info'])}"
                                              for t in THREADS) + "\n")
    if TRAIN:
        print("Training steps; the last two columns set Panagrad at t threads against PyTorch's faster run at up to t "
              "threads in each round (issue 23's rule: a 2-thread PyTorch slower than its 1-thread run is replaced by that).\n")
        print("| model | batch | threads | Panagrad samples/s | PyTorch samples/s | Panagrad / PyTorch | per round "
              "| Panagrad / PyTorch's best at <= t threads | per round |")
        print("|---|---:|---:|---:|---:|---:|---|---:|---|")
    for layers, batch in TRAIN:
        for t in THREADS:
            pg = [batch / (us[(layers, batch, t)] * 1e-6) for _, us, _ in rounds]
            pt = [batch / torch_runs[t]["train"][f"{layers}/{batch}"] for torch_runs, _, _ in rounds]
            best = [max(batch / runs[u]["train"][f"{layers}/{batch}"] for u in THREADS if u <= t) for runs, _, _ in rounds]
            ratios = [a / b for a, b in zip(pg, pt)]
            vs_best = [a / b for a, b in zip(pg, best)]
            print(f"| {layers} | {batch} | {t} | {median(pg):,.0f} | {median(pt):,.0f} | {median(ratios):.2f} "
                  f"| {per_round(ratios)} | {median(vs_best):.2f} | {per_round(vs_best)} |")

    if not HVP:
        return
    print("\n| model | batch | threads | Panagrad gradient ms | Panagrad HVP rev-over-rev ms | Panagrad HVP fwd-over-rev ms "
          "| best HVP / gradient | PyTorch gradient ms | PyTorch HVP ms | Panagrad best HVP / PyTorch HVP | per round |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for layers, batch, t, runs, best, vs_torch in hvp_comparisons(rounds, "", "hvp"):
        own = [b / m["gradient"] for b, (m, _) in zip(best, runs)]
        print(f"| {layers} | {batch} | {t} | {med(runs, lambda m, pt: m['gradient']):.2f} "
              f"| {med(runs, lambda m, pt: m['hvpReverseOverReverse']):.2f} "
              f"| {med(runs, lambda m, pt: m['hvpForwardOverReverse']):.2f} | {median(own):.2f} "
              f"| {med(runs, lambda m, pt: pt['gradient'] * 1e3):.2f} | {med(runs, lambda m, pt: pt['hvp'] * 1e3):.2f} "
              f"| {median(vs_torch):.2f} | {per_round(vs_torch)} |")

    if args.no_at_point:
        return
    print("\nMany products at one point (power iteration, Lanczos, CG): Panagrad's CurvatureProduct.atCurrentPoint "
          "against PyTorch's gradient graph built once and backpropagated per vector (retain_graph=True, as PyHessian).\n")
    print("| model | batch | threads | Panagrad rev-over-rev ms | Panagrad fwd-over-rev ms | PyTorch ms "
          "| Panagrad best / PyTorch's best at <= t threads | per round |")
    print("|---|---:|---:|---:|---:|---:|---:|---|")
    for layers, batch, t, runs, best, vs_torch in hvp_comparisons(rounds, "AtPoint", "hvp_at_point"):
        print(f"| {layers} | {batch} | {t} | {med(runs, lambda m, pt: m['hvpReverseOverReverseAtPoint']):.2f} "
              f"| {med(runs, lambda m, pt: m['hvpForwardOverReverseAtPoint']):.2f} "
              f"| {med(runs, lambda m, pt: pt['hvp_at_point'] * 1e3):.2f} | {median(vs_torch):.2f} | {per_round(vs_torch)} |")


def hvp_comparisons(rounds, suffix, torch_key):
    """Per model and thread count: each round's (Panagrad, PyTorch) HVP results, Panagrad's faster mode (the
    HvpBench methods named hvp...Reverse + suffix) and its ratio to PyTorch's time under torch_key, PyTorch's faster
    run at up to t threads (issue 23's rule)."""
    for layers, batch in HVP:
        for t in THREADS:
            runs = [(ms[(layers, batch, t)], torch_runs[t]["hvp"][f"{layers}/{batch}"]) for torch_runs, _, ms in rounds]
            best = [min(m["hvpReverseOverReverse" + suffix], m["hvpForwardOverReverse" + suffix]) for m, _ in runs]
            fastest = [min(torch_runs[u]["hvp"][f"{layers}/{batch}"][torch_key] for u in THREADS if u <= t)
                       for torch_runs, _, _ in rounds]
            vs_torch = [b / (pt * 1e3) for b, pt in zip(best, fastest)]
            yield layers, batch, t, runs, best, vs_torch


def med(runs, f):
    return median(f(m, pt) for m, pt in runs)


if __name__ == "__main__":
    main()
