#!/usr/bin/python3
"""Panagrad GEMM vs numpy/OpenBLAS float32 matmul, same shapes and thread counts, one run.

Usage (from the repository root, after `mvn -q -pl engine,bench -am package -DskipTests`):
    /usr/bin/python3 bench/compare_gemm.py [--quick] [--rounds N] [--java PATH] [--pin CPU] [--avx2]
                                           [--jvm-args "-Dpanagrad.vectorBits=256"]

Shape by shape, numpy then JMH, so both sides of a ratio are measured within a minute of each other. With
--rounds N everything is measured N times; the table shows medians over the rounds, the median of the
per-round ratios and every round's ratio (a shared VM drifts by 10-30% within minutes). With --pin CPU both
sides' 1-thread measurements run on that CPU only, so that they meet the same core (the two vCPUs of this VM
have measured 57 and 78 GFLOP/s at the same time); 2-thread runs are never pinned.

Runs numpy in one subprocess per thread count (OPENBLAS_NUM_THREADS set before numpy loads; OPENBLAS_CORETYPE
and OPENBLAS_L2_SIZE removed from that subprocess only, so that OpenBLAS picks its own best kernel for the CPU;
the kernel it runs, threadpoolctl's "architecture", is printed), then GemmBench from bench/target/benchmarks.jar,
and prints a markdown table of GFLOP/s (2mnk / time) and ratios, under a line naming Panagrad's micro-kernel,
vector width and blocking (Gemm.describe(), from a JVM with the benchmark's flags).

--avx2 measures the AVX2 code of both sides on an AVX-512 machine: Panagrad's JVM runs with -XX:UseAVX=2 (C2
emits AVX2 code and the preferred width is 256 bits) and OpenBLAS with OPENBLAS_CORETYPE=Haswell. --jvm-args
adds flags to Panagrad's JVMs only (e.g. -Dpanagrad.vectorBits=256: the 256-bit kernels on AVX-512 code). Both sides report the median time per call
(JMH in sample mode; numpy timed call by call), so a burst of interference moves neither.
Each table row also gives both sides' fraction of the float32 FMA peak at Panagrad's width, measured once per
invocation with PeakFlopsBench in a JVM with the same flags (one core; the 2-thread rows against twice it).
Refuses to compare against the reference BLAS (netlib libblas): that would flatter Panagrad ~10x.

Each round also runs GemmPairBench at 1024^3, two independent 1-thread products at once (one per core), right
after GemmBench's square: what the two cores deliver together in that minute. A shared VM's vCPUs are often
unequal, so the table's 2T/1T alone cannot tell a split that loses time from a second core that is slower;
Panagrad's 2 threads against the pair can.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from statistics import median

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
JAR = os.path.join(ROOT, "bench", "target", "benchmarks.jar")
THREADS = (1, 2)
# (label, m, n, k, transA, transB). Linear keeps W as [in, out], so the training step's layer-1 products are
# exactly "L1 fwd X.W1" and "L1 bwd X^T.dY" (the latter fused into the update with beta = 1).
SHAPES = [
    ("square 1024^3", 1024, 1024, 1024, False, False),
    ("L1 fwd X.W1", 128, 500, 784, False, False),
    ("L1 bwd X^T.dY", 784, 500, 128, True, False),
    ("L1 bwd dY.W1^T", 128, 784, 500, False, True),
    ("L2 fwd H.W2", 128, 10, 500, False, False),
    ("L2 bwd H^T.dY", 500, 10, 128, True, False),
    ("L2 bwd dY.W2^T", 128, 500, 10, False, True),
]

# Opens every baseline's subprocess script (numpy here, PyTorch in compare_training.py), run once the library has
# loaded: adds the thread pools threadpoolctl sees to info["threadpoolctl"], which openblas_kernels reads.
THREADPOOL_PROBE = r'''
def add_threadpools(info):
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return
    info["threadpoolctl"] = [{k: d.get(k) for k in ("internal_api", "architecture", "num_threads", "version", "filepath")}
                             for d in threadpool_info()]
'''

# Runs inside the numpy subprocess: reports which BLAS got loaded, then times every shape.
NUMPY_WORKER = THREADPOOL_PROBE + r'''
import json, statistics, sys, time
import numpy as np
shapes = json.loads(sys.argv[1]); min_time = float(sys.argv[2])
maps = open("/proc/self/maps").read()
libs = sorted({line.split()[-1] for line in maps.splitlines()
               if "blas" in line.lower() or "lapack" in line.lower() or "mkl" in line.lower()})
info = {"numpy": np.__version__, "libs": libs}
add_threadpools(info)
results = []
rng = np.random.default_rng(1)
for (label, m, n, k, ta, tb) in shapes:
    a = rng.uniform(-1, 1, (k, m) if ta else (m, k)).astype(np.float32)
    b = rng.uniform(-1, 1, (n, k) if tb else (k, n)).astype(np.float32)
    A = a.T if ta else a
    B = b.T if tb else b
    c = np.empty((m, n), dtype=np.float32)
    for _ in range(5):
        np.matmul(A, B, out=c)
    samples, deadline = [], time.perf_counter() + min_time
    while time.perf_counter() < deadline or len(samples) < 30:  # median per call, as JMH's sample mode gives
        t0 = time.perf_counter(); np.matmul(A, B, out=c); samples.append(time.perf_counter() - t0)
    best = statistics.median(samples)
    results.append({"label": label, "seconds": best})
print(json.dumps({"info": info, "results": results}))
'''


def numpy_env(threads, coretype=None):
    """The baseline's environment: OpenBLAS picks its own kernels for this CPU (the workplace's
    OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE removed), or runs the named core type's."""
    env = dict(os.environ)
    env.pop("OPENBLAS_CORETYPE", None)
    env.pop("OPENBLAS_L2_SIZE", None)
    if coretype:
        env["OPENBLAS_CORETYPE"] = coretype
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = str(threads)
    return env


def blas_kind(libs):
    joined = " ".join(libs).lower()
    if "openblas" in joined:
        return "OpenBLAS"
    if "mkl" in joined:
        return "MKL"
    if "blis" in joined:
        return "BLIS"
    if "atlas" in joined:
        return "ATLAS"
    if "libblas" in joined or "libcblas" in joined:
        return "reference"
    return "unknown"


def pinned_to(cpu):
    """For subprocess.run's preexec_fn: the child (and what it starts) runs on that CPU only; None: anywhere."""
    return None if cpu is None else (lambda: os.sched_setaffinity(0, {cpu}))


def run_numpy(threads, min_time, python, shapes, pin=None, coretype=None):
    proc = subprocess.run([python, "-c", NUMPY_WORKER, json.dumps(shapes), str(min_time)],
                          env=numpy_env(threads, coretype), capture_output=True, text=True, preexec_fn=pinned_to(pin))
    if proc.returncode != 0:
        sys.exit("numpy benchmark failed:\n" + proc.stderr)
    return json.loads(proc.stdout)


def jmh_json(java, args, pin=None, jvm_args=()):
    """Runs the benchmarks jar with these JMH arguments (one fork, 1 s iterations; jvm_args added to the fork's
    JVM) and returns its JSON results."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as f:
        out = f.name
    cmd = [java, "--add-modules", "jdk.incubator.vector", "-jar", JAR, *args, "-f", "1", "-w", "1", "-r", "1",
           "-rf", "json", "-rff", out]
    if jvm_args:  # replaces the benchmarks' @Fork(jvmArgsAppend), so the module goes again
        cmd += ["-jvmArgsAppend", " ".join(["--add-modules", "jdk.incubator.vector", *jvm_args])]
    for _ in range(120):
        proc = subprocess.run(cmd, capture_output=True, text=True, preexec_fn=pinned_to(pin))
        if "Unable to acquire the JMH lock" not in proc.stdout + proc.stderr:
            break
        # Another benchmark (someone else's, on a shared machine) holds JMH's lock: wait for it, never run beside it.
        print("  another JMH run holds /tmp/jmh.lock: waiting ...", file=sys.stderr, flush=True)
        time.sleep(15)
    if proc.returncode != 0:
        sys.exit("JMH failed:\n" + proc.stdout[-3000:] + proc.stderr[-3000:])
    results = json.load(open(out))
    os.unlink(out)
    return results


def thread_runs(threads, pin):
    """The JMH runs that cover these thread counts, as (threads, CPU or None) pairs: all in one JVM, or with pin
    one JVM per count, the 1-thread one on that CPU."""
    return [(tuple(threads), None)] if pin is None else [((t,), pin if t == 1 else None) for t in threads]


WARMUP = {"iterations": None}  # --warmup: JMH warm-up iterations in place of the defaults


def gemm_iterations(quick):
    """JMH iterations. On a loaded 2-core VM C2 may need 10 s or more to compile the kernels (the interpreted
    Vector API is ~1000x slower), so the defaults' 2-3 s of warm-up can measure the interpreter: --warmup 15."""
    wi = WARMUP["iterations"] or (2 if quick else 3)
    return ["-wi", str(wi), "-i", "3" if quick else "5"]


def run_jmh(java, quick, shapes, pin=None, jvm_args=()):
    """GemmBench per shape, both thread counts in one JVM; with pin, the 1-thread run alone on that CPU."""
    results = {}
    iters = gemm_iterations(quick)
    for (label, m, n, k, ta, tb) in shapes:
        for threads, cpu in thread_runs(THREADS, pin):
            print(f"  jmh {label} ...", file=sys.stderr, flush=True)
            args = ["GemmBench", "-p", f"m={m}", "-p", f"n={n}", "-p", f"k={k}", "-p", f"transA={str(ta).lower()}",
                    "-p", f"transB={str(tb).lower()}", "-p", "threads=" + ",".join(map(str, threads)),
                    *iters, "-bm", "sample", "-tu", "us"]
            for r in jmh_json(java, args, cpu, jvm_args):
                t = int(r["params"]["threads"])
                results[(label, t)] = 1e6 / r["primaryMetric"]["scorePercentiles"]["50.0"]  # calls per second, median
    return results


def run_jmh_pair(java, quick, m, n, k, jvm_args=()):
    """GemmPairBench (NN, m x n x k): the two cores' GFLOP/s together. Throughput mode, whose score adds the
    threads' calls per second (a median call time would mix the threads' samples and lean to the faster core);
    the median of the measurement iterations."""
    print("  jmh two 1-thread products at once ...", file=sys.stderr, flush=True)
    args = ["GemmPairBench", "-p", f"m={m}", "-p", f"n={n}", "-p", f"k={k}", *gemm_iterations(quick),
            "-bm", "thrpt", "-tu", "s"]
    r = jmh_json(java, args, None, jvm_args)[0]
    return median(r["primaryMetric"]["rawData"][0]) * 2.0 * m * n * k / 1e9


def run_peak(java, jvm_args=()):
    """PeakFlopsBench at the width these JVM flags give: one core's float32 FMA peak in GFLOP/s (its flops
    counter, the median of the measurement iterations)."""
    print("  jmh PeakFlopsBench ...", file=sys.stderr, flush=True)
    r = jmh_json(java, ["PeakFlopsBench", "-wi", "3", "-i", "5", "-bm", "thrpt", "-tu", "s"], None, jvm_args)[0]
    return median(r["secondaryMetrics"]["flops"]["rawData"][0]) / 1e9


def require_jar_and_quiet_machine():
    """Exits with what to do when the benchmarks jar is missing or another benchmark is running."""
    if not os.path.exists(JAR):
        sys.exit(f"{JAR} is missing: build it with `mvn -q -pl engine,bench -am package -DskipTests`.")
    busy = subprocess.run(["pgrep", "-f", "benchmarks.jar"], capture_output=True, text=True).stdout.split()
    if busy:
        sys.exit(f"another benchmark is running (pids {' '.join(busy)}); run this on a quiet machine.")


def require_openblas(libs, who="numpy"):
    """Exits unless the baseline (numpy or PyTorch) runs on an optimised BLAS."""
    kind = blas_kind(libs)
    if kind == "reference":
        sys.exit(f"{who} is linked to the reference BLAS (" + ", ".join(libs) + "): refusing to compare. Install "
                 "OpenBLAS (libopenblas0-pthread) and select it with "
                 "update-alternatives --config libblas.so.3-x86_64-linux-gnu.")
    if kind == "unknown":
        sys.exit(f"could not tell which BLAS {who} loaded (mapped: " + ", ".join(libs) +
                 "); refusing to compare against an unknown baseline.")


def gemm_description(java, jvm_args=()):
    """Gemm.describe() in a JVM with these flags: the micro-kernel, vector width, blocking and caches."""
    proc = subprocess.run([java, "--add-modules", "jdk.incubator.vector", *jvm_args, "-cp", JAR,
                           "org.panagrad.bench.DescribeGemm"], capture_output=True, text=True)
    return proc.stdout.strip() if proc.returncode == 0 else "? (" + proc.stderr.strip()[-300:] + ")"


def openblas_kernels(info):
    """The OpenBLAS kernel (threadpoolctl's architecture) and version the baseline ran."""
    pools = [p for p in info.get("threadpoolctl", []) if p.get("internal_api") == "openblas"]
    if not pools:
        return "kernel unknown (threadpoolctl missing or no OpenBLAS pool)"
    return ", ".join(f"{p.get('architecture')} kernel (OpenBLAS {p.get('version')})" for p in pools)


def cpu_name():
    """The CPU as /proc/cpuinfo names it, with family and model."""
    fields = {}
    try:
        for line in open("/proc/cpuinfo"):
            key, _, value = line.partition(":")
            fields.setdefault(key.strip(), value.strip())
    except OSError:
        return "?"
    avx = "AVX-512" if "avx512f" in fields.get("flags", "").split() else "AVX2" if "avx2" in fields.get("flags", "").split() else "no AVX2"
    return f"{fields.get('model name', '?')} (family {fields.get('cpu family', '?')}, model {fields.get('model', '?')}, {avx})"


def java_version(java):
    proc = subprocess.run([java, "-version"], capture_output=True, text=True)
    return proc.stderr.splitlines()[0] if proc.stderr else "?"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--java", default="java")
    ap.add_argument("--python", default="/usr/bin/python3", help="interpreter with numpy")
    ap.add_argument("--quick", action="store_true", help="fewer JMH iterations")
    ap.add_argument("--rounds", type=int, default=1, help="measure both sides this many times, alternating")
    ap.add_argument("--pin", type=int, metavar="CPU",
                    help="run both sides' 1-thread measurements on this CPU only: a shared VM's vCPUs can differ "
                         "in speed, and unpinned the two sides may land on different ones")
    ap.add_argument("--avx2", action="store_true",
                    help="both sides' AVX2 code on an AVX-512 CPU: Panagrad under -XX:UseAVX=2, OpenBLAS with "
                         "OPENBLAS_CORETYPE=Haswell")
    ap.add_argument("--jvm-args", default="", help="flags added to Panagrad's JVMs, e.g. -Dpanagrad.vectorBits=256")
    ap.add_argument("--warmup", type=int, help="JMH warm-up iterations of 1 s (default 2 with --quick, else 3)")
    ap.add_argument("--shapes", help="only the products whose label contains one of these comma-separated words")
    args = ap.parse_args()
    WARMUP["iterations"] = args.warmup
    shapes = [s for s in SHAPES if not args.shapes or any(w in s[0] for w in args.shapes.split(","))]
    jvm_args = tuple(args.jvm_args.split()) + (("-XX:UseAVX=2",) if args.avx2 else ())
    coretype = "Haswell" if args.avx2 else None

    probe = subprocess.run([args.python, "-c", "import numpy"], capture_output=True, text=True)
    if probe.returncode != 0:
        sys.exit(f"numpy is missing for {args.python}: nothing to compare against.\n"
                 "Install it with OpenBLAS (Debian: apt-get install python3-numpy libopenblas0-pthread) "
                 "or pass --python /path/to/python-with-numpy.\n" + probe.stderr.strip())
    require_jar_and_quiet_machine()

    # Shape by shape, numpy then JMH, so both sides of a ratio are measured within a minute of each other.
    peak = run_peak(args.java, jvm_args)
    rounds = []
    for r in range(args.rounds):
        np_runs = {t: {"info": None, "results": []} for t in THREADS}
        java = {}
        for shape in shapes:
            for t in THREADS:
                print(f"  round {r + 1}: numpy {shape[0]}, {t} thread(s) ...", file=sys.stderr, flush=True)
                run = run_numpy(t, 1.0 if args.quick else 2.0, args.python, [shape], args.pin if t == 1 else None,
                                coretype)
                require_openblas(run["info"]["libs"])
                np_runs[t]["info"] = run["info"]
                np_runs[t]["results"] += run["results"]
            java.update(run_jmh(args.java, args.quick, [shape], args.pin, jvm_args))
            if shape is SHAPES[0]:
                java["pair"] = run_jmh_pair(args.java, args.quick, *shape[1:4], jvm_args)
        rounds.append((np_runs, java))

    info = rounds[0][0][1]["info"]
    print(f"GEMM float32, GFLOP/s = 2mnk/time. {time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} cores, "
          f"{java_version(args.java)}; numpy {info['numpy']} with {blas_kind(info['libs'])} "
          f"({', '.join(os.path.basename(l) for l in info['libs'])}). "
          f"{args.rounds} round(s): medians, and each round's ratio."
          + ("" if args.pin is None else f" 1-thread runs of both sides pinned to CPU {args.pin}.") + "\n")
    print(f"CPU: {cpu_name()}.")
    print(f"Panagrad (JVM flags: {' '.join(jvm_args) or 'none'}): {gemm_description(args.java, jvm_args)}.")
    print(f"OpenBLAS: " + "; ".join(f"{t} thread(s): {openblas_kernels(rounds[0][0][t]['info'])}" for t in THREADS)
          + f", OPENBLAS_CORETYPE={coretype or 'unset'}, OPENBLAS_L2_SIZE unset.")
    print(f"Peak (PeakFlopsBench, same JVM flags): {peak:.1f} GFLOP/s per core; the peak columns divide by it "
          f"times the thread count.\n")
    print("| product | m x n x k | op | threads | Panagrad GFLOP/s | OpenBLAS GFLOP/s | Panagrad / OpenBLAS "
          "| per round | Panagrad 2T/1T | Panagrad / peak | OpenBLAS / peak |")
    print("|---|---|---|---:|---:|---:|---:|---|---:|---:|---:|")
    for i, (label, m, n, k, ta, tb) in enumerate(shapes):
        flop = 2.0 * m * n * k
        for t in THREADS:
            pg = [java[(label, t)] * flop / 1e9 for _, java in rounds]
            ob = [flop / np_runs[t]["results"][i]["seconds"] / 1e9 for np_runs, _ in rounds]
            ratios = [p / o for p, o in zip(pg, ob)]
            scale = "" if t == 1 else f"{median([java[(label, t)] / java[(label, 1)] for _, java in rounds]):.2f}x"
            op = ("T" if ta else "N") + ("T" if tb else "N")
            print(f"| {label} | {m}x{n}x{k} | {op} | {t} | {median(pg):.1f} | {median(ob):.1f} | "
                  f"{median(ratios):.2f} | {' '.join(f'{x:.2f}' for x in ratios)} | {scale} | "
                  f"{median(pg) / (peak * t):.2f} | {median(ob) / (peak * t):.2f} |")

    if SHAPES[0] not in shapes:
        return
    label, m, n, k = SHAPES[0][:4]
    flop = 2.0 * m * n * k
    pair = [java["pair"] for _, java in rounds]
    two = [java[(label, 2)] * flop / 1e9 / java["pair"] for _, java in rounds]
    ceiling = [java["pair"] / (java[(label, 1)] * flop / 1e9) for _, java in rounds]
    print(f"\nTwo independent 1-thread products at once, {m}x{n}x{k} (GemmPairBench): {median(pair):.1f} GFLOP/s "
          f"together. Panagrad's 2 threads reach {median(two):.2f} of that (per round: "
          f"{' '.join(f'{x:.2f}' for x in two)}); the pair is {median(ceiling):.2f}x Panagrad's 1 thread "
          f"(per round: {' '.join(f'{x:.2f}' for x in ceiling)}), the 2T/1T these cores allowed.")


if __name__ == "__main__":
    main()
