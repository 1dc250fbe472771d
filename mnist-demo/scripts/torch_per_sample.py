#!/usr/bin/python3
"""Per-sample gradients: Panagrad's `curvature` command against functorch's vmap(grad(...)) in PyTorch.

  torch_per_sample.py CHECKPOINT TENSORS [--data DIR] [--samples N] [--activation relu|tanh|sigmoid]
      loads CHECKPOINT into nn.Sequential(Linear, act, ..., Linear), or torchvision's VisionTransformer when its
      metadata names vit-tiny (torch_interop.py's loaders), computes the
      gradient of each of the first N training images' own cross-entropy with functorch.vmap(functorch.grad(...))
      over torch.func-style functional_call, and compares them with TENSORS, which
      `mnist-demo curvature --checkpoint CHECKPOINT --samples N --what grad-norms,per-sample-grads --out TENSORS`
      wrote ('per-sample-grads/<parameter>' as [N, ...PyTorch shape], 'grad-norms' as [N]).
      Prints the largest differences and exits 1 when any exceeds 1e-4 relative to the largest magnitude.
"""
import argparse
import sys
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent))
import torch_interop  # noqa: E402  (the sibling script: its checkpoint and MNIST readers)

try:
    from torch.func import functional_call, grad, vmap
    SOURCE = "torch.func"
except ImportError:  # PyTorch 1.13: functorch ships the same transforms
    from functorch import grad, vmap
    from torch.nn.utils.stateless import functional_call
    SOURCE = "functorch"

TOLERANCE = 1e-4


def per_sample_gradients(model, x, y):
    params = {k: v.detach() for k, v in model.named_parameters()}

    def loss_of_one(p, xi, yi):
        logits = functional_call(model, p, (xi.unsqueeze(0),))
        return F.cross_entropy(logits, yi.unsqueeze(0))

    return vmap(grad(loss_of_one), in_dims=(None, 0, 0))(params, x, y)


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("checkpoint")
    parser.add_argument("tensors")
    parser.add_argument("--data")
    parser.add_argument("--samples", type=int, default=128)
    parser.add_argument("--activation")
    args = parser.parse_args(argv)

    state, metadata = torch_interop.load_checkpoint(args.checkpoint)
    x, y = torch_interop.mnist(torch_interop.find_data(args.data), "train")
    x, y = x[:args.samples], y[:args.samples]
    if metadata.get("model") == "vit-tiny":
        # LayerNorm, attention, the class token and positional embedding: Panagrad's generic per-sample path.
        model = torch_interop.vit_tiny()
        x = x.reshape(-1, 1, 28, 28)
    else:
        activation = args.activation or metadata.get("activation", "relu")
        model = torch_interop.sequential(torch_interop.widths_of(state, args.checkpoint), activation)
    model.load_state_dict(state, strict=True)
    model.eval()
    expected = per_sample_gradients(model, x, y)
    ours, _ = torch_interop.read_safetensors(args.tensors)

    worst = 0.0
    for name, g in expected.items():
        key = "per-sample-grads/" + name
        if key not in ours:
            raise SystemExit(f"{args.tensors}: no tensor {key}; found {sorted(ours)}")
        if tuple(ours[key].shape) != tuple(g.shape):
            raise SystemExit(f"{args.tensors}: {key} has shape {list(ours[key].shape)}, {SOURCE} gives {list(g.shape)}")
        diff = float((ours[key] - g).abs().max()) / max(float(g.abs().max()), 1e-30)
        worst = max(worst, diff)
        print(f"{name:10s} {list(g.shape)}  max |ours - {SOURCE}| / max |{SOURCE}| = {diff:.2e}")
    norms = torch.sqrt(sum((g.reshape(args.samples, -1) ** 2).sum(dim=1) for g in expected.values()))
    diff = float((ours["grad-norms"] - norms).abs().max()) / float(norms.abs().max())
    worst = max(worst, diff)
    print(f"grad-norms {list(norms.shape)}  max relative difference {diff:.2e}")
    print(f"{'OK' if worst <= TOLERANCE else 'MISMATCH'}: per-sample gradients of {args.samples} images against"
          f" {SOURCE}.vmap(grad(...)), worst {worst:.2e} (tolerance {TOLERANCE:g})")
    return 0 if worst <= TOLERANCE else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
