#!/usr/bin/python3
"""Panagrad against PyTorch (or, for a product, numpy's OpenBLAS) with both sides alive at once, timed in alternating short bursts.

Usage (from the repository root, after `mvn -q -pl engine,bench -am package -DskipTests`):
    /usr/bin/python3 bench/interleaved_comparison.py [--rounds N] [--burst SECONDS] [--clock wall|cpu] [--avx2]
        [--pin] [--java PATH] CASE [CASE ...]

CASE is MODEL/BATCH/THREADS/WORK, e.g. 784-500-10/128/1/step, resnet8/128/2/hvp-fr, vit-tiny/128/1/step:adamw;
or gemm/MxNxK/THREADS/OP with OP nn, tn or nt, e.g. gemm/784x500x128/1/tn: Panagrad's Gemm against numpy's matmul
on OpenBLAS at the same thread count (GemmBench's and compare_gemm.py's operands; GFLOP/s of both given).
WORK is step (plain SGD at 1e-3; step:adamw is AdamW at 1e-4 with weight decay 0.05), gradient, hvp-rr, hvp-fr
(Panagrad's reverse-over-reverse or forward-over-reverse HVP against PyTorch's double backward), at-point-rr or
at-point-fr (products at one point: Panagrad's CurvatureProduct.atCurrentPoint against autograd.grad through a
retained gradient graph).

Why: this host's speed drifts by up to 1.4x from one minute to the next, so a ratio of two runs made minutes apart
(compare_training.py runs PyTorch, then a JMH fork) moves by as much. Here one JVM (bench/TimedCalls) and one
PyTorch process per thread count up to THREADS are started, compiled and warmed up, and then take turns: each round
runs one burst of about --burst seconds on every side, in an order that reverses every round, so both sides of a
round's ratio ran within a second or two of each other. A round's ratio is PyTorch's time per call over Panagrad's,
PyTorch's at its best thread count up to THREADS (the one with the lowest median over the rounds): above 1, Panagrad
is faster. The table gives the median ratio, its quartiles
and every round's.

PyTorch runs with OMP_WAIT_POLICY=PASSIVE, OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE removed and glibc keeping freed
memory (bench/torch_memory.py), as compare_training.py runs it; it refuses to compare against the reference BLAS.
Waiting sides block on their input: the JVM's pool threads park after a short spin, PyTorch's OpenMP threads park.
With --clock cpu (1-thread cases only) each burst is timed in its calling thread's CPU time, which leaves out the
time other processes held the core; the last column then gives each side's median CPU time over wall time, which
is near 1 when the work runs on the calling thread only and nothing preempted it.

--pin (1-thread cases) moves both sides, before each burst, onto the same vCPU, r mod 2 in round r: this VM's host
runs one vCPU slower for tens of seconds at times (Panagrad's narrow product up to 1.7x, OpenBLAS's hardly), with
no steal visible and charged to the thread's CPU clock (bench/results/2026-12-07-zen5-session19-slowjvm.md), and
Linux keeps each side on its own vCPU, so without it such an episode can fall on one side only for the whole
comparison. With it an episode shows as ratios alternating round by round; it still moves the ratio.

--avx2 measures both sides' AVX2 code on an AVX-512 machine (issue 23): Panagrad's JVM under -XX:UseAVX=2 (256-bit
preferred species, AVX2 instructions), OpenBLAS with OPENBLAS_CORETYPE=Haswell, and PyTorch also with
ATEN_CPU_CAPABILITY=avx2 (its own kernels) and ONEDNN_MAX_CPU_ISA=AVX2 (oneDNN's convolutions and products).
"""
import argparse
import json
import os
import subprocess
import sys
from statistics import median, quantiles

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compare_gemm import JAR, THREADPOOL_PROBE, cpu_name, java_version, openblas_kernels, require_openblas  # noqa: E402
from compare_training import SCRIPTS, torch_env  # noqa: E402

WORKS = ("step", "gradient", "hvp-rr", "hvp-fr", "at-point-rr", "at-point-fr")

# The protocol both baseline scripts end with, once `call` and `info` are defined: a warm-up, "ready" with what it
# runs on, then N calls per line N on standard input, answered with their wall-clock and thread CPU nanoseconds.
BURSTS = r'''
t0 = time.perf_counter()
while time.perf_counter() - t0 < 3.0:
    call()
maps = open("/proc/self/maps").read()
info["libs"] = sorted({l.split()[-1] for l in maps.splitlines() if "blas" in l.lower() or "mkl" in l.lower()})
add_threadpools(info)
print("ready " + json.dumps(info), flush=True)
for line in sys.stdin:
    if line.strip() == "quit":
        break
    n = int(line)
    c0, w0 = time.thread_time_ns(), time.perf_counter_ns()
    for _ in range(n):
        call()
    print(time.perf_counter_ns() - w0, time.thread_time_ns() - c0, flush=True)
'''

# A product on numpy's OpenBLAS, as compare_gemm.py times it: op(A) op(B) into a preallocated C.
NUMPY_SIDE = THREADPOOL_PROBE + r'''
import json, sys, time
import numpy as np
m, n, k = map(int, sys.argv[1].split("x")); ta, tb = sys.argv[2][0] == "t", sys.argv[2][1] == "t"
rng = np.random.default_rng(1)
a = rng.uniform(-1, 1, (k, m) if ta else (m, k)).astype(np.float32)
b = rng.uniform(-1, 1, (n, k) if tb else (k, n)).astype(np.float32)
A, B, c = (a.T if ta else a), (b.T if tb else b), np.empty((m, n), dtype=np.float32)
def call():
    np.matmul(A, B, out=c)
info = {"numpy": np.__version__}
''' + BURSTS

TORCH_SIDE = THREADPOOL_PROBE + r'''
import json, sys, time
import torch
import torch.nn.functional as F
model_name, batch, threads, work, optimizer = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
sys.path[0:0] = [sys.argv[6], sys.argv[7]]
from torch_interop import build, vit_tiny
from torch_step import sgd_step
torch.set_num_threads(threads)
torch.manual_seed(0)
if model_name == "vit-tiny":
    net, shape = vit_tiny().train(), [1, 28, 28]
elif model_name[0].isdigit():
    widths = [int(w) for w in model_name.split("-")]
    net, shape = build("mlp", widths, "relu").train(), [widths[0]]
else:
    net, shape = build(model_name).train(), [1, 28, 28]
classes = 10 if not model_name[0].isdigit() else int(model_name.split("-")[-1])
x = torch.rand(batch, *shape); y = torch.randint(0, classes, (batch,))
params = list(net.parameters())
v = [torch.randint(0, 2, p.shape).float() * 2 - 1 for p in params]
if work == "step" and optimizer == "adamw":
    opt = torch.optim.AdamW(params, lr=1e-4, weight_decay=0.05)
    def call():
        opt.zero_grad(set_to_none=True)
        F.cross_entropy(net(x), y).backward()
        opt.step()
elif work == "step":
    call = sgd_step(net, x, y)
elif work == "gradient":
    def call():
        torch.autograd.grad(F.cross_entropy(net(x), y), params)
elif work.startswith("hvp"):
    def call():
        g = torch.autograd.grad(F.cross_entropy(net(x), y), params, create_graph=True)
        torch.autograd.grad(sum((gi * vi).sum() for gi, vi in zip(g, v)), params)
else:
    g_at_point = torch.autograd.grad(F.cross_entropy(net(x), y), params, create_graph=True)
    def call():
        torch.autograd.grad(g_at_point, params, grad_outputs=v, retain_graph=True)
info = {"torch": torch.__version__, "threads": torch.get_num_threads()}
''' + BURSTS


class Side:
    """One live process that runs N calls per request and answers with their wall and CPU nanoseconds."""

    def __init__(self, name, argv, env):
        self.name = name
        self.proc = subprocess.Popen(argv, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)
        self.calls = 1
        self.ms = []
        self.cpu_share = []

    def ready(self):
        """Waits for the side's ready line (it compiles and warms up first); the line, without 'ready '."""
        for line in self.proc.stdout:
            if line.startswith("ready "):
                return line[6:].strip()
        sys.exit(f"{self.name} ended before it was ready (exit {self.proc.wait()})")

    def burst(self, calls):
        """Runs calls calls; their (wall, cpu) nanoseconds."""
        self.proc.stdin.write(f"{calls}\n")
        for line in self.proc.stdout:
            fields = line.split()
            # Anything else a library prints to standard output is not an answer.
            if len(fields) == 2 and all(f.isdigit() for f in fields):
                return int(fields[0]), int(fields[1])
        sys.exit(f"{self.name} ended during a burst (exit {self.proc.wait()})")

    def pin(self, cpus):
        """Moves the process, all its threads, onto these vCPUs (taskset's list syntax)."""
        subprocess.run(["taskset", "-a", "-cp", cpus, str(self.proc.pid)], stdout=subprocess.DEVNULL, check=True)

    def close(self):
        """Ends the process: asked to, or killed if it does not end within 30 s (a side still warming up)."""
        try:
            self.proc.stdin.write("quit\n")
            self.proc.stdin.close()
        except (BrokenPipeError, ValueError):
            pass
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def parse_case(text):
    """(model, batch or shape, threads, work, optimizer) of MODEL/BATCH/THREADS/WORK or gemm/MxNxK/THREADS/OP."""
    try:
        model, batch, threads, work = text.split("/")
        work, _, optimizer = work.partition(":")
        if model == "gemm":
            if work not in ("nn", "tn", "nt") or optimizer or len([int(d) for d in batch.split("x")]) != 3:
                raise ValueError
            return model, batch, int(threads), work, "sgd"
        if work not in WORKS or optimizer not in ("", "sgd", "adamw") or (optimizer and work != "step"):
            raise ValueError
        return model, int(batch), int(threads), work, optimizer or "sgd"
    except ValueError:
        sys.exit(f"case '{text}': expected MODEL/BATCH/THREADS/WORK with WORK one of {', '.join(WORKS)} (step:adamw "
                 "for AdamW), e.g. resnet8/128/1/step, or gemm/MxNxK/THREADS/nn|tn|nt, e.g. gemm/784x500x128/1/tn")


def baseline_env(threads, avx2):
    """The baseline's environment at a thread count; with avx2, every library in it held to its AVX2 code."""
    env = torch_env(threads)
    if avx2:
        env.update(OPENBLAS_CORETYPE="Haswell", ATEN_CPU_CAPABILITY="avx2", ONEDNN_MAX_CPU_ISA="AVX2")
    return env


def run_case(args, case):
    model, batch, threads, work, optimizer = case
    width = ["-XX:UseAVX=2"] if args.avx2 else []
    java = Side("Panagrad", [args.java, "--add-modules", "jdk.incubator.vector", *width, f"-Dmodel={model}", f"-Dbatch={batch}",
                             f"-Dshape={batch}", f"-Dthreads={threads}", f"-Dwork={work}", f"-Doptimizer={optimizer}",
                             "-cp", JAR, "org.panagrad.bench.TimedCalls"], os.environ)
    here = os.path.dirname(os.path.abspath(__file__))
    if model == "gemm":
        # A product faces OpenBLAS at the same thread count, as issue 23's GEMM targets read.
        torches = [Side(f"OpenBLAS {threads}t", [args.python, "-c", NUMPY_SIDE, batch, work],
                        baseline_env(threads, args.avx2))]
    else:
        torches = [Side(f"PyTorch {t}t", [args.python, "-c", TORCH_SIDE, model, str(batch), str(t), work, optimizer,
                                          SCRIPTS, here], baseline_env(t, args.avx2)) for t in range(1, threads + 1)]
    sides = [java, *torches]
    try:
        print(f"  {java.name}: {java.ready()}", file=sys.stderr, flush=True)
        for t in torches:
            info = json.loads(t.ready())
            require_openblas(info["libs"], t.name)
            print(f"  {t.name}: {info.get('torch', info.get('numpy'))} on {openblas_kernels(info)}", file=sys.stderr,
                  flush=True)
        clock = 1 if args.clock == "cpu" else 0
        for s in sides:
            # Calls per burst: about --burst seconds at the side's own speed.
            per_call = s.burst(3)[clock] / 3 / 1e9
            s.calls = max(1, round(args.burst / max(per_call, 1e-6)))
        for r in range(args.rounds):
            for s in (sides if r % 2 == 0 else sides[::-1]):
                if args.pin:
                    s.pin(str(r % 2))
                wall, cpu = s.burst(s.calls)
                s.ms.append((wall, cpu)[clock] / s.calls / 1e6)
                s.cpu_share.append(cpu / wall)
    finally:
        for s in sides:
            s.close()
    # The baseline's best thread count by its median, then every round against that side (the faster of several
    # noisy sides round by round would favour the baseline).
    best = min(torches, key=lambda t: median(t.ms))
    return java, torches, best, [b / j for b, j in zip(best.ms, java.ms)]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("cases", nargs="+", help="MODEL/BATCH/THREADS/WORK, e.g. 784-500-10/128/1/step")
    ap.add_argument("--rounds", type=lambda v: max(1, int(v)), default=15, help="bursts per side (default 15)")
    ap.add_argument("--burst", type=float, default=0.5, help="seconds per burst (default 0.5)")
    ap.add_argument("--clock", choices=("wall", "cpu"), default="wall", help="cpu: thread CPU time (1 thread only)")
    ap.add_argument("--avx2", action="store_true",
                    help="both sides' AVX2 code on an AVX-512 CPU: Panagrad under -XX:UseAVX=2, OpenBLAS as Haswell, "
                         "PyTorch with ATEN_CPU_CAPABILITY=avx2 and ONEDNN_MAX_CPU_ISA=AVX2")
    ap.add_argument("--pin", action="store_true",
                    help="1-thread cases: both sides' bursts of round r on vCPU r mod 2 (an episode of a slow vCPU then falls on both sides; it still moves the ratio)")
    ap.add_argument("--java", default="java")
    ap.add_argument("--python", default="/usr/bin/python3", help="interpreter with torch")
    args = ap.parse_args()
    cases = [parse_case(c) for c in args.cases]
    if args.clock == "cpu" and any(c[2] != 1 for c in cases):
        sys.exit("--clock cpu times the calling thread only: use it with 1-thread cases")
    if args.pin and any(c[2] != 1 for c in cases):
        sys.exit("--pin puts each side on one vCPU: use it with 1-thread cases")
    if not os.path.exists(JAR):
        sys.exit(f"{JAR} is missing: build it with `mvn -q -pl engine,bench -am package -DskipTests`.")
    print(f"{cpu_name()}; {java_version(args.java)}; {args.rounds} rounds of ~{args.burst} s bursts per side, "
          f"{args.clock} clock{'; AVX2 code on both sides (--avx2)' if args.avx2 else ''}{'; both sides on vCPU r mod 2 in round r (--pin)' if args.pin else ''}; ratio = the baseline's time per call / Panagrad's (PyTorch at its best thread count up "
          "to the case's; OpenBLAS, for a product, at the case's)")
    print("| model | batch or shape | threads | work | Panagrad ms | baseline ms | baseline / Panagrad: median [quartiles] | "
          "every round | load | CPU / wall: Panagrad / baseline by threads |")
    print("|---|---:|---:|---|---:|---:|---|---|---:|---|")
    for case in cases:
        load = os.getloadavg()[0]
        java, torches, best_side, ratios = run_case(args, case)
        q1, _, q3 = quantiles(ratios, n=4, method="inclusive") if len(ratios) > 1 else (ratios[0],) * 3
        best = median(best_side.ms)
        model, batch, threads, work, optimizer = case
        label = work + (":adamw" if optimizer == "adamw" else "")
        if model == "gemm":
            m, n, k = map(int, batch.split("x"))
            label += f" ({2e-6 * m * n * k / median(java.ms):.1f} / {2e-6 * m * n * k / best:.1f} GFLOP/s)"
        shares = " / ".join(f"{median(s.cpu_share):.2f}" for s in (java, *torches))
        print(f"| {model} | {batch} | {threads} | {label} | {median(java.ms):.3f} | {best:.3f} | {median(ratios):.3f} "
              f"[{q1:.3f}-{q3:.3f}] | {' '.join(f'{r:.2f}' for r in ratios)} | {load:.1f} | {shares} |", flush=True)


if __name__ == "__main__":
    main()
