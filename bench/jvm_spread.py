#!/usr/bin/python3
"""How much one Panagrad JVM differs from the next on the same work: several TimedCalls JVMs alive at once, timed
in turn, one short burst each per round.

Usage (from the repository root, after `mvn -q -pl engine,bench -am package -DskipTests`; under
`flock /tmp/jmh.lock`):
    /usr/bin/python3 bench/jvm_spread.py [--jvms 8] [--rounds 6] [--burst 0.3] [--jar JAR] [--java PATH]
        [--flags="JVM FLAGS"] [--flags-b="OTHER JVM FLAGS"] [--pin] [--codelists DIR] CASE

CASE is interleaved_comparison.py's MODEL/BATCH/THREADS/WORK (784-128-10/64/1/step, lenet5/128/1/step) or
gemm/MxNxK/THREADS/OP (gemm/128x10x500/1/nn).

Why: some JVMs ran a small model or a narrow product 1.3-1.7x slower than others of the same jar (sessions 17-18),
which a single JVM's number cannot tell from the host's minute-to-minute drift. Here the JVMs are started one after
another (each compiled and warmed up before the next starts) and then take turns, one burst each per round in an
order that rotates every round, all timed in the calling thread's CPU time (1-thread cases: it leaves out the time
other processes held the core). A JVM slower for its whole life shows as a row slower than its neighbours in the
same rounds; the host slowing down shows as a round (column) slower on every JVM.

--flags-b gives every second JVM other flags (the first ones get --flags): a flag's effect as the medians of the
two halves, both measured in the same seconds. Give them with "=" (--flags-b="-XX:+UseParallelGC"); a -D among them
overrides the case's (--flags-b=-Dshape=128x10x250: two shapes side by side). --pin moves each JVM, before each burst, to one vCPU in even rounds
(vCPU 0 and 1 in turn, half the JVMs on each) and lets it run on either in odd ones: whether the vCPU is what is slow. --codelists
writes each JVM's `jcmd PID Compiler.codelist` to DIR (compare the compiled code of a slow and a fast JVM).
"""
import argparse
import os
import shlex
import subprocess
import sys
from statistics import median

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compare_gemm import JAR  # noqa: E402


def jvm_command(java, jar, flags, case):
    parts = case.split("/")
    if len(parts) != 4:
        sys.exit(f"case {case}: expected MODEL/BATCH/THREADS/WORK or gemm/MxNxK/THREADS/OP")
    model, size, threads, work = parts
    if threads != "1":
        sys.exit("CPU-clock bursts need a 1-thread case")
    props = [f"-Dmodel={model}", f"-Dthreads={threads}", f"-Dwork={work}"]
    props.append(f"-Dshape={size}" if model == "gemm" else f"-Dbatch={size}")
    if ":" in work:
        work, optimizer = work.split(":")
        props[2] = f"-Dwork={work}"
        props.append(f"-Doptimizer={optimizer}")
    # The flags after the case's properties: a -D among them overrides the case's (-Dshape=... for a second shape).
    return [java, "--add-modules", "jdk.incubator.vector"] + props + flags + \
        ["-DminWarmUpSeconds=3", "-cp", jar, "org.panagrad.bench.TimedCalls"]


def start(command):
    p = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                         text=True, bufsize=1)
    for line in p.stdout:
        if line.startswith("ready"):
            return p
    sys.exit("a JVM ended before it was ready: " + " ".join(command))


def burst(p, calls):
    """CPU microseconds per call of `calls` calls."""
    p.stdin.write(f"{calls}\n")
    p.stdin.flush()
    _, cpu = map(int, p.stdout.readline().split())
    return cpu / calls / 1e3


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("case")
    ap.add_argument("--jvms", type=int, default=8)
    ap.add_argument("--rounds", type=int, default=6)
    ap.add_argument("--burst", type=float, default=0.3, help="seconds per burst (about)")
    ap.add_argument("--jar", default=JAR)
    ap.add_argument("--java", default="java")
    ap.add_argument("--flags", default="", help="JVM flags of every JVM (of the first half with --flags-b)")
    ap.add_argument("--flags-b", default=None, help="JVM flags of every second JVM")
    ap.add_argument("--pin", action="store_true", help="even rounds on one vCPU each, odd rounds on both")
    ap.add_argument("--codelists", default=None, help="directory for each JVM's Compiler.codelist")
    args = ap.parse_args()
    flag_sets = [shlex.split(args.flags)] if args.flags_b is None else [shlex.split(args.flags), shlex.split(args.flags_b)]
    jvms = []
    try:
        measure(args, flag_sets, jvms)
    finally:
        for _, p in jvms:  # a failed start or burst must not leave the others running
            if p.poll() is None:
                p.kill()


def measure(args, flag_sets, jvms):
    for i in range(args.jvms):
        flags = flag_sets[i % len(flag_sets)]
        jvms.append((" ".join(flags) or "default", start(jvm_command(args.java, args.jar, flags, args.case))))
    # Calls per burst from one JVM's timed calls.
    per_call = burst(jvms[0][1], 10)
    calls = max(1, int(args.burst * 1e6 / per_call))
    times = [[] for _ in jvms]
    where = [[] for _ in jvms]
    for r in range(args.rounds):
        for i in [(r + j) % len(jvms) for j in range(len(jvms))]:
            if args.pin:
                cpus = str((i + r // 2) % 2) if r % 2 == 0 else "0,1"
                subprocess.run(["taskset", "-a", "-cp", cpus, str(jvms[i][1].pid)], stdout=subprocess.DEVNULL, check=True)
                where[i].append("@" + cpus.replace("0,1", "u"))
            else:
                where[i].append("")
            times[i].append(burst(jvms[i][1], calls))
    if args.codelists:
        os.makedirs(args.codelists, exist_ok=True)
        for i, (_, p) in enumerate(jvms):
            with open(os.path.join(args.codelists, f"jvm{i}.txt"), "w") as out:
                subprocess.run(["jcmd", str(p.pid), "Compiler.codelist"], stdout=out, stderr=subprocess.DEVNULL)
    for _, p in jvms:
        p.stdin.write("quit\n")
        p.stdin.flush()
        p.wait()
    print(f"{args.case}: {len(jvms)} JVMs x {args.rounds} rounds of {calls} calls, microseconds per call (thread CPU); "
          f"load {os.getloadavg()[0]:.2f}; jar {args.jar}")
    for i, (label, _) in enumerate(jvms):
        print(f"  JVM {i} [{label}]: median {median(times[i]):8.1f} | "
              + " ".join(f"{t:.1f}{w}" for t, w in zip(times[i], where[i])))
    for label in dict.fromkeys(label for label, _ in jvms):
        medians = sorted(median(t) for (l, _), t in zip(jvms, times) if l == label)
        print(f"  [{label}] JVM medians: " + " ".join(f"{m:.1f}" for m in medians)
              + f"; slowest / fastest {medians[-1] / medians[0]:.2f}")
    if args.pin:
        for i in range(len(jvms)):
            on = {w: [t for t, x in zip(times[i], where[i]) if x == w] for w in ("@0", "@1", "@u")}
            print(f"  JVM {i}: " + ", ".join(f"{w[1:].replace('u', 'either vCPU')} {median(t):.1f}" for w, t in on.items() if t))


if __name__ == "__main__":
    main()
