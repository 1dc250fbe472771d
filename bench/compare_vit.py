#!/usr/bin/python3
"""vit-tiny in PyTorch beside VitTinyBench: the same model (torchvision's VisionTransformer, 1-channel conv_proj),
batch 128 of random images: an AdamW training step, a gradient, and a Hessian-vector product by double backward
(torch.autograd.grad with create_graph, then the gradient of <g, v>), at 1 and 2 threads, median of ROUNDS rounds
of REPS calls each after a warm-up. Run it in the same window as
  java -jar bench/target/benchmarks.jar VitTinyBench -rf json -rff vit.json
with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset and OMP_WAIT_POLICY=PASSIVE, and alternate the two sides. It
restarts itself with glibc keeping freed memory (bench/torch_memory.py says why).
"""
import statistics
import sys
import time

from torch_memory import minor_faults, reexec_with_kept_memory
import torch
import torch.nn.functional as F
from torch import nn
from torchvision.models.vision_transformer import VisionTransformer


def vit_tiny():
    m = VisionTransformer(image_size=28, patch_size=7, num_layers=4, num_heads=4, hidden_dim=64, mlp_dim=128, num_classes=10)
    m.conv_proj = nn.Conv2d(1, 64, kernel_size=7, stride=7)
    return m


def timed(fn, reps, rounds):
    """Per round, the mean ms per call over reps calls after reps warm-up calls; and the minor page faults per timed
    call (the warm-up's first touches of new memory are not a cost of a step)."""
    for _ in range(reps):
        fn()
    f0 = minor_faults()
    out = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        for _ in range(reps):
            fn()
        out.append((time.perf_counter() - t0) / reps * 1e3)
    return out, (minor_faults() - f0) / (reps * rounds)


def main(argv):
    rounds = int(argv[0]) if argv else 5
    torch.manual_seed(0)
    print(f"torch {torch.__version__}, oneDNN {torch.backends.mkldnn.is_available()}")
    for threads in (1, 2):
        torch.set_num_threads(threads)
        model = vit_tiny().train()
        x = torch.rand(128, 1, 28, 28)
        y = torch.randint(10, (128,))
        opt = torch.optim.AdamW(model.parameters(), lr=1e-4, weight_decay=0.05)
        params = [p for p in model.parameters()]
        v = [torch.randint(2, p.shape).float() * 2 - 1 for p in params]

        def step():
            opt.zero_grad(set_to_none=True)
            F.cross_entropy(model(x), y).backward()
            opt.step()

        def gradient():
            return torch.autograd.grad(F.cross_entropy(model(x), y), params)

        def hvp():
            g = torch.autograd.grad(F.cross_entropy(model(x), y), params, create_graph=True)
            return torch.autograd.grad(sum((gi * vi).sum() for gi, vi in zip(g, v)), params)

        for name, fn in (("trainStep", step), ("gradient", gradient), ("hvp", hvp)):
            ms, per_call = timed(fn, 10, rounds)
            print(f"threads {threads} {name}: median {statistics.median(ms):.2f} ms  rounds {' '.join(f'{t:.2f}' for t in ms)}"
                  f"  minor page faults per call {per_call:.0f}")


if __name__ == "__main__":
    reexec_with_kept_memory()
    main(sys.argv[1:])
