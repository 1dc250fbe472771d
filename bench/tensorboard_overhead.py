#!/usr/bin/python3
"""What train --tensorboard costs: epochs with and without it, alternating, in one run.

Usage (from the repository root, after `mvn -q -pl engine,mnist-demo -am package -DskipTests`):
    /usr/bin/python3 bench/tensorboard_overhead.py [--rounds 3] [--epochs 4] [--every 200] [--data DIR]

Each round trains the default model (784-500-10, momentum, batch 128, all 60,000 images) twice, once plain
and once with --tensorboard (the order alternates between rounds), and reads the epoch times the demo prints
(test evaluation included). The first epoch holds the JIT's warm-up and is reported apart. The logger also
times itself (every call into it, compiling its gradient program included) and prints its share of the run
and of the last epoch: on a noisy machine that direct measure is sharper than the difference of two runs.
"""
import argparse
import re
import subprocess
import tempfile
from statistics import median

EPOCH = re.compile(r"^epoch (\d+)/\d+ .* ([0-9.]+) s$")
LOGGER = re.compile(r"logging took ([0-9.]+) s, ([0-9.]+)% of ([0-9.]+) s of training; ([0-9.]+)% of the last epoch")


def train(java, jar, data, epochs, every, tensorboard):
    cmd = [java, "--add-modules", "jdk.incubator.vector", "-jar", jar, "train", "--no-progress", "--epochs", str(epochs)]
    if data:
        cmd += ["--data", data]
    tmp = None
    if tensorboard:
        tmp = tempfile.TemporaryDirectory()
        cmd += ["--tensorboard", tmp.name, "--histogram-every", str(every)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    if tmp:
        tmp.cleanup()
    times = [float(m.group(2)) for m in map(EPOCH.match, out.splitlines()) if m]
    logger = LOGGER.search(out)
    return times, (tuple(float(g) for g in logger.groups()) if logger else None)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--epochs", type=int, default=4)
    ap.add_argument("--every", type=int, default=200)
    ap.add_argument("--data", default=None)
    ap.add_argument("--java", default="java")
    ap.add_argument("--jar", default="mnist-demo/target/mnist-demo.jar")
    a = ap.parse_args()
    print(f"{a.rounds} rounds, {a.epochs} epochs each, --histogram-every {a.every}")
    print("| round | order | plain epoch s (2..) | with --tensorboard epoch s (2..) | ratio | plain epoch 1 | tb epoch 1 |"
          " logger: s, % of run | logger: % of last epoch |")
    print("|---:|---|---:|---:|---:|---:|---:|---:|---:|")
    ratios, shares = [], []
    for r in range(a.rounds):
        order = ["plain", "tb"] if r % 2 == 0 else ["tb", "plain"]
        res = {}
        for mode in order:
            res[mode] = train(a.java, a.jar, a.data, a.epochs, a.every, mode == "tb")
        (p, _), (t, logger) = res["plain"], res["tb"]
        ps, ts = median(p[1:]), median(t[1:])
        ratios.append(ts / ps)
        shares.append(logger[3])
        print(f"| {r + 1} | {'-'.join(order)} | {ps:.2f} ({' '.join(f'{x:.1f}' for x in p[1:])}) |"
              f" {ts:.2f} ({' '.join(f'{x:.1f}' for x in t[1:])}) | {ts / ps:.3f} | {p[0]:.1f} | {t[0]:.1f} |"
              f" {logger[0]:.3f} s, {logger[1]:.2f}% | {logger[3]:.2f}% |")
    print(f"median ratio with/without: {median(ratios):.3f}; logger's own share of the last epoch: median {median(shares):.2f}%"
          f" (rounds: {' '.join(f'{s:.2f}' for s in shares)})")


if __name__ == "__main__":
    main()
