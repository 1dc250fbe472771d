#!/usr/bin/python3
"""PyTorch's side of CurvatureBench: on 784-500-10 (ReLU) at batch 128, a batch gradient (forward and
backward) beside functorch's per-sample gradients (vmap(grad(...)), materialized as Opacus and BackPACK do)
and their norms, in rounds that alternate the two, printing every round and the median ratio.

  compare_per_sample.py [--rounds 5] [--threads 2] [--batch 128] [--layers 784-500-10]

Set OMP_WAIT_POLICY=PASSIVE (as for compare_training.py) when running at 2 threads on a shared machine, and
unset OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE; the BLAS in use is printed (threadpoolctl).
"""
import argparse
import statistics
import time

from torch_memory import reexec_with_kept_memory
import torch
import torch.nn.functional as F
from torch import nn

try:
    from torch.func import functional_call, grad, vmap
except ImportError:  # PyTorch 1.13
    from functorch import grad, vmap
    from torch.nn.utils.stateless import functional_call


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--layers", default="784-500-10")
    p.add_argument("--seconds", type=float, default=1.0, help="time per measurement")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    widths = [int(w) for w in a.layers.split("-")]
    layers = []
    for i in range(len(widths) - 1):
        if i:
            layers.append(nn.ReLU())
        layers.append(nn.Linear(widths[i], widths[i + 1]))
    model = nn.Sequential(*layers)
    g = torch.Generator().manual_seed(1)
    x = torch.rand(a.batch, widths[0], generator=g)
    y = torch.randint(widths[-1], (a.batch,), generator=g)
    params = {k: v.detach() for k, v in model.named_parameters()}

    def batch_gradient():
        model.zero_grad(set_to_none=True)
        F.cross_entropy(model(x), y).backward()

    def loss_of_one(ps, xi, yi):
        return F.cross_entropy(functional_call(model, ps, (xi.unsqueeze(0),)), yi.unsqueeze(0))

    per_sample = vmap(grad(loss_of_one), in_dims=(None, 0, 0))

    def per_sample_gradients():
        gs = per_sample(params, x, y)
        return torch.sqrt(sum((t.reshape(a.batch, -1) ** 2).sum(1) for t in gs.values()))

    def timed(fn):
        for _ in range(3):
            fn()
        n, start = 0, time.perf_counter()
        while time.perf_counter() - start < a.seconds:
            fn()
            n += 1
        return (time.perf_counter() - start) / n * 1e6

    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {a.layers}, batch {a.batch};"
          f" MKL-DNN {torch.backends.mkldnn.is_available()}")
    try:
        from threadpoolctl import threadpool_info
        for pool in threadpool_info():
            print(f"  {pool.get('internal_api')} {pool.get('version')} {pool.get('architecture', '')}"
                  f" threads {pool.get('num_threads')} ({pool.get('filepath')})")
    except ImportError:
        print("  (threadpoolctl not installed: BLAS kernel not reported)")
    ratios = []
    for r in range(a.rounds):
        base = timed(batch_gradient)
        psg = timed(per_sample_gradients)
        ratios.append(psg / base)
        print(f"round {r + 1}: batch gradient {base:9.1f} us   vmap(grad) per-sample gradients + norms {psg:9.1f} us"
              f"   ratio {psg / base:5.2f}")
    print(f"median ratio {statistics.median(ratios):.2f}")


if __name__ == "__main__":
    reexec_with_kept_memory()
    main()
