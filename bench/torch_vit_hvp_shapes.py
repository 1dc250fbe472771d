#!/usr/bin/python3
"""PyTorch's products in vit-tiny's double backward (batch 128), each timed alone at its shape, 1 thread.

Usage (repository root, under `flock /tmp/jmh.lock`):
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OMP_WAIT_POLICY=PASSIVE OMP_NUM_THREADS=1 \
        /usr/bin/python3 bench/torch_vit_hvp_shapes.py

Why: torch.profiler inflates this double backward's op times 3x (10x with record_shapes; it records 110,000
`select`s per call, bmm's per-matrix loop), so its table cannot say where PyTorch's time goes. Here each product
and softmax is timed alone, hot in cache (a lower bound of its time in the program), and multiplied by its count
per HVP call, the counts being torch.profiler's (record_shapes) over the call interleaved_comparison.py times:
grad(create_graph=True) of the mean cross-entropy, then grad of sum(g_i v_i). What remains of the measured call is
elementwise work, layer norm's and GELU's backward, copies and autograd's own overhead.
"""
import sys
import time

from torch_memory import reexec_with_kept_memory

reexec_with_kept_memory()
import torch  # noqa: E402

torch.set_num_threads(1)


def median_us(f, n=200):
    for _ in range(20):
        f()
    runs = []
    for _ in range(5):
        t0 = time.perf_counter()
        for _ in range(n):
            f()
        runs.append((time.perf_counter() - t0) / n * 1e6)
    return sorted(runs)[2]


def bmm(a, b):
    x, y = torch.rand(*a), torch.rand(*b)
    return lambda: torch.bmm(x, y)


def mm(m, k, n, transposed_a=False):
    x = torch.rand(k, m).t() if transposed_a else torch.rand(m, k)
    y = torch.rand(k, n)
    return lambda: torch.mm(x, y)


def softmax(shape):
    x = torch.rand(*shape)
    return lambda: torch.softmax(x, -1)


# name, call, count per HVP call, flops per call
CASES = [
    ("bmm [512,17,17] x [512,17,16]", bmm((512, 17, 17), (512, 17, 16)), 32, 2 * 512 * 17 * 17 * 16),
    ("bmm [512,17,16] x [512,16,17]", bmm((512, 17, 16), (512, 16, 17)), 24, 2 * 512 * 17 * 17 * 16),
    ("bmm [512,16,17] x [512,17,17]", bmm((512, 16, 17), (512, 17, 17)), 16, 2 * 512 * 17 * 17 * 16),
    ("mm [2176,64] x [64,128]", mm(2176, 64, 128), 20, 2 * 2176 * 64 * 128),
    ("mm [2176,64] x [64,192]", mm(2176, 64, 192), 12, 2 * 2176 * 64 * 192),
    ("mm [2176,192] x [192,64]", mm(2176, 192, 64), 12, 2 * 2176 * 64 * 192),
    ("mm [2176,128] x [128,64]", mm(2176, 128, 64), 20, 2 * 2176 * 64 * 128),
    ("mm [2176,64] x [64,64]", mm(2176, 64, 64), 20, 2 * 2176 * 64 * 64),
    ("mm [192,2176] x [2176,64] (A^T)", mm(192, 2176, 64, True), 12, 2 * 2176 * 64 * 192),
    ("mm [128,2176] x [2176,64] (A^T)", mm(128, 2176, 64, True), 12, 2 * 2176 * 64 * 128),
    ("mm [64,2176] x [2176,128] (A^T)", mm(64, 2176, 128, True), 12, 2 * 2176 * 64 * 128),
    ("mm [64,2176] x [2176,64] (A^T)", mm(64, 2176, 64, True), 12, 2 * 2176 * 64 * 64),
    ("addmm [2176,128] x [128,64] (timed as mm, no bias)", mm(2176, 128, 64), 4, 2 * 2176 * 64 * 128),
    ("addmm [2176,64] x [64,128] (timed as mm, no bias)", mm(2176, 64, 128), 4, 2 * 2176 * 64 * 128),
    ("softmax [512,17,17]", softmax((512, 17, 17)), 4, 0),
]


def main():
    total = {"bmm": 0.0, "mm": 0.0, "softmax": 0.0}
    for name, call, count, flops in CASES:
        us = median_us(call)
        total[name.split()[0].replace("addmm", "mm")] += us * count / 1e3
        rate = f"{flops / us / 1e3:6.1f} GFLOP/s" if flops else ""
        print(f"{name:38s} {us:8.1f} us x {count:2d} = {us * count / 1e3:6.2f} ms  {rate}")
    print("per HVP call: " + ", ".join(f"{k} {v:.1f} ms" for k, v in total.items()))


if __name__ == "__main__":
    sys.exit(main())
