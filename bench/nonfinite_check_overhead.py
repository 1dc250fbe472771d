#!/usr/bin/python3
"""What the training step's non-finite check costs: the step before it existed, and with and without it now.

Usage (from the repository root, after `mvn -q -pl engine,bench -am package -DskipTests`; quiet machine only):
    /usr/bin/python3 bench/nonfinite_check_overhead.py [--rounds 5] [--threads 1] [--layers 784-500-10] [--batch 128]

The check has two parts. The fused updates add up the squares of the gradient they read (one FMA per vector in
the pass they make anyway), and TrainingStep.run reads the loss and those sums after the program. Both are
measured in one run, round by round, with the sides alternating:
- base: TrainStepBench.trainStep built from the commit before the check (--base, default 6a8c102^), which
  builds in a temporary directory from `git archive` (nothing is installed);
- checked: TrainStepBench.trainStep now (the updates' sums and the status check);
- unchecked: TrainStepBench.trainStepUnchecked now (the same program, no status check; the updates still sum).
checked / base is the whole cost; checked / unchecked the cost of reading the status. The issue's bound is 1%.
Every round is printed as a markdown table row, then the medians; record the output in bench/results/.
"""
import argparse
import json
import os
import subprocess
import tempfile
from statistics import median

CURRENT_JAR = "bench/target/benchmarks.jar"


def build_base(rev, root):
    archive = subprocess.run(["git", "archive", rev], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", root], input=archive, check=True)
    subprocess.run(["mvn", "-B", "-q", "-o", "-f", os.path.join(root, "pom.xml"), "-pl", "engine,bench", "-am",
                    "package", "-DskipTests"], check=True)
    return os.path.join(root, "bench", "target", "benchmarks.jar")


def jmh(java, jar, pattern, params, iterations):
    """Mean microseconds per call for each benchmark method the pattern selects."""
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        cmd = [java, "--add-modules", "jdk.incubator.vector", "-jar", jar, pattern, "-f", "1", "-rf", "json", "-rff", out.name]
        cmd += ["-wi", "5", "-i", "5"] if iterations else ["-wi", "1", "-i", "1", "-w", "100ms", "-r", "100ms"]
        for k, v in params.items():
            cmd += ["-p", f"{k}={v}"]
        run = subprocess.run(cmd, capture_output=True, text=True)
        if run.returncode != 0:
            raise SystemExit(f"{' '.join(cmd)} failed:\n{run.stdout[-3000:]}{run.stderr[-3000:]}")
        results = json.load(open(out.name))
    return {r["benchmark"].rsplit(".", 1)[1]: r["primaryMetric"]["score"] for r in results}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--threads", default="1")
    ap.add_argument("--layers", default="784-500-10")
    ap.add_argument("--batch", default="128")
    ap.add_argument("--base", default="6a8c102^")
    ap.add_argument("--java", default="java")
    ap.add_argument("--smoke", action="store_true", help="one 100 ms iteration per side: checks the script, measures nothing")
    a = ap.parse_args()
    params = {"layers": a.layers, "batch": a.batch, "threads": a.threads}
    with tempfile.TemporaryDirectory() as root:
        base_jar = build_base(a.base, root)
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], check=True, capture_output=True, text=True).stdout.strip()
        print(f"{a.rounds} rounds, {a.layers}, batch {a.batch}, {a.threads} thread(s), plain SGD; base {a.base}, current {head}")
        print("| round | order | base us | checked us | unchecked us | checked / base | checked / unchecked |")
        print("|---:|---|---:|---:|---:|---:|---:|")
        whole, status = [], []
        for r in range(a.rounds):
            order = ["base", "current"] if r % 2 == 0 else ["current", "base"]
            res = {}
            for side in order:
                if side == "base":
                    res["base"] = jmh(a.java, base_jar, "TrainStepBench.trainStep$", params, not a.smoke)["trainStep"]
                else:
                    now = jmh(a.java, CURRENT_JAR, "TrainStepBench.trainStep", dict(params, optimizer="sgd"), not a.smoke)
                    res["checked"], res["unchecked"] = now["trainStep"], now["trainStepUnchecked"]
            whole.append(res["checked"] / res["base"])
            status.append(res["checked"] / res["unchecked"])
            print(f"| {r + 1} | {' then '.join(order)} | {res['base']:.1f} | {res['checked']:.1f} | {res['unchecked']:.1f} |"
                  f" {whole[-1]:.4f} | {status[-1]:.4f} |", flush=True)
        print(f"\nmedian checked / base {median(whole):.4f}, checked / unchecked {median(status):.4f}")


if __name__ == "__main__":
    main()
