#!/usr/bin/python3
"""PyTorch's training step of a zoo CNN, op by op (torch.profiler), to set beside Panagrad's `profile` table.

Usage (repository root): env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OMP_WAIT_POLICY=PASSIVE \
    /usr/bin/python3 bench/profile_torch_step.py --model lenet5 --threads 1 [--steps 200] [--batch 128]

The step is compare_training.py's: forward, mean cross-entropy, backward and plain SGD, float32, training mode.
It prints the step's median wall time over the timed steps, then the profiler's table of self CPU time per op
(aten::*, oneDNN's convolutions included) divided by the number of steps, so each row is microseconds per step.
"""
import argparse
import os
import statistics
import sys
import time

from torch_memory import reexec_with_kept_memory
import torch

sys.path[0:0] = [os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "mnist-demo", "scripts"),
                 os.path.dirname(os.path.abspath(__file__))]
from torch_interop import build  # noqa: E402
from torch_step import sgd_step  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="lenet5")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--rows", type=int, default=30)
    ap.add_argument("--by-shape", action="store_true",
                    help="one row per op and input shapes (a layer's convolution and its backward apart)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    net = build(args.model).train()
    x = torch.rand(args.batch, 1, 28, 28)
    y = torch.randint(0, 10, (args.batch,))
    step = sgd_step(net, x, y)

    for _ in range(50):
        step()
    times = []
    for _ in range(args.steps):
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    print(f"{args.model} batch {args.batch} threads {torch.get_num_threads()}: median step "
          f"{statistics.median(times) * 1e3:.3f} ms over {args.steps} steps (torch {torch.__version__})")
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU], record_shapes=args.by_shape) as prof:
        for _ in range(args.steps):
            step()
    rows = []
    for e in prof.key_averages(group_by_input_shape=args.by_shape):
        key = f"{e.key} {e.input_shapes}" if args.by_shape else e.key
        rows.append((e.self_cpu_time_total / args.steps, e.cpu_time_total / args.steps, e.count / args.steps, key))
    rows.sort(reverse=True)
    total = sum(r[0] for r in rows)
    print(f"self CPU time per step under the profiler: {total:.1f} us")
    print(f"{'self us/step':>12} {'total us/step':>13} {'calls':>6}  op" + (" [input shapes]" if args.by_shape else ""))
    for self_us, total_us, calls, key in rows[:args.rows]:
        print(f"{self_us:12.1f} {total_us:13.1f} {calls:6.1f}  {key}")


if __name__ == "__main__":
    reexec_with_kept_memory()
    main()
