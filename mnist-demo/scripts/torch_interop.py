#!/usr/bin/python3
"""PyTorch <-> Panagrad checkpoints, with no conversion step.

  torch_interop.py eval CHECKPOINT [--model mlp|lenet5|resnet8] [--data DIR] [--activation relu|tanh|sigmoid]
      loads a safetensors checkpoint (Panagrad's or PyTorch's) into the zoo model (the one its metadata names, else
      nn.Sequential(Linear, act, Linear, ...)) with load_state_dict(strict=True), puts it in evaluation mode and
      prints the test loss and accuracy.
  torch_interop.py vit-eval CHECKPOINT [--data DIR]
      loads a vit-tiny checkpoint into torchvision's VisionTransformer(28, 7, 4 layers, 4 heads, 64, 128, 10 classes)
      with conv_proj = Conv2d(1, 64, 7, stride 7), load_state_dict(strict=True), and prints its test accuracy.
  torch_interop.py write CHECKPOINT [--model mlp] [--layers 784-100-10] [--activation relu] [--seed 0]
                                    [--train-steps N --data DIR]
      builds that model (PyTorch's default initialisation), optionally trains it with SGD for N steps of 128
      images, saves its state_dict as safetensors (num_batches_tracked as I64) and prints its test accuracy,
      which `mnist-demo eval --checkpoint CHECKPOINT` must reproduce.

The zoo models are the issue's architectures: lenet5 = nn.Sequential(Conv2d(1,6,5,padding=2), ReLU, MaxPool2d(2),
Conv2d(6,16,5), ReLU, MaxPool2d(2), Flatten, Linear(400,120), ReLU, Linear(120,84), ReLU, Linear(84,10)); resnet8 =
conv1/bn1, layer1.0 .. layer3.0 torchvision BasicBlocks (16, 32, 64 channels, strides 1, 2, 2, downsample.0/.1),
global average pooling and fc = Linear(64, 10), named as torchvision names ResNets.

Uses safetensors.torch when it is importable. Debian has no python3-safetensors package, so otherwise a
reader and writer of the documented format (below) are used: an 8-byte little-endian header length, a JSON
header {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {str: str}} padded with spaces to
a multiple of 8 bytes, then the tensors' little-endian bytes, offsets relative to the end of the header.
"""
import argparse
import gzip
import json
import os
import struct
import sys
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

try:
    from safetensors.torch import load_file as _st_load, save_file as _st_save
    from safetensors import safe_open as _st_open
    SAFETENSORS = "safetensors.torch"
except ImportError:
    SAFETENSORS = None

MODELS = ["mlp", "lenet5", "resnet8", "vit-tiny"]
ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid}
DTYPES = {"F32": np.dtype("<f4"), "F64": np.dtype("<f8"), "F16": np.dtype("<f2"), "I64": np.dtype("<i8")}


class FormatError(Exception):
    pass


def read_safetensors(path):
    """(tensors by name, metadata) of a safetensors file, following the format's documentation."""
    raw = Path(path).read_bytes()
    if len(raw) < 8:
        raise FormatError(f"{path}: at byte offset 0: expected an 8-byte header length, the file has {len(raw)} bytes")
    (n,) = struct.unpack("<Q", raw[:8])
    if 8 + n > len(raw):
        raise FormatError(f"{path}: at byte offset 0: the header length {n} runs past the end of the file ({len(raw)} bytes)")
    try:
        header = json.loads(raw[8:8 + n].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise FormatError(f"{path}: at byte offset 8: expected a JSON header of {n} bytes ({e})")
    data, metadata, tensors = raw[8 + n:], header.pop("__metadata__", {}) or {}, {}
    for name, info in header.items():
        dtype = DTYPES.get(info["dtype"])
        if dtype is None:
            raise FormatError(f"{path}: tensor '{name}' has dtype {info['dtype']}; expected one of {sorted(DTYPES)}")
        begin, end = info["data_offsets"]
        count = int(np.prod(info["shape"], dtype=np.int64))
        if not 0 <= begin <= end <= len(data) or end - begin != count * dtype.itemsize:
            raise FormatError(f"{path}: at byte offset {8 + n + begin}: tensor '{name}' of shape {info['shape']} needs"
                              f" {count * dtype.itemsize} bytes, data_offsets are [{begin}, {end}] of {len(data)}")
        array = np.frombuffer(data, dtype=dtype, count=count, offset=begin).reshape(info["shape"])
        tensors[name] = torch.from_numpy(array.astype(dtype.newbyteorder("="), copy=True))
    return tensors, metadata


def write_safetensors(path, tensors, metadata):
    """Writes F32 (and I64 for int64) tensors sorted by name, as save_file does, to a temporary file renamed into place."""
    header, blobs, offset = {"__metadata__": dict(metadata)}, [], 0
    for name in sorted(tensors):
        t = tensors[name].detach().contiguous()
        integer = t.dtype == torch.int64
        blob = t.numpy().astype("<i8").tobytes() if integer else t.to(torch.float32).numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "I64" if integer else "F32", "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    tmp = Path(str(path) + ".tmp")
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))
    os.replace(tmp, path)


def load_checkpoint(path):
    if SAFETENSORS:
        with _st_open(str(path), framework="pt") as f:
            metadata = f.metadata() or {}
        return _st_load(str(path)), metadata
    return read_safetensors(path)


def save_checkpoint(path, state_dict, metadata):
    if SAFETENSORS:
        _st_save({k: v.contiguous() for k, v in state_dict.items()}, str(path), metadata=metadata)
    else:
        write_safetensors(path, state_dict, metadata)


def sequential(widths, activation):
    """nn.Sequential(Linear, act, Linear, ..., Linear): the module both sides name their tensors after."""
    layers = []
    for i in range(len(widths) - 1):
        if i > 0:
            layers.append(ACTIVATIONS[activation]())
        layers.append(nn.Linear(widths[i], widths[i + 1]))
    return nn.Sequential(*layers)


class BasicBlock(nn.Module):
    """torchvision's ResNet BasicBlock (conv1, bn1, relu, conv2, bn2, downsample), written out so that torchvision is
    not needed."""

    def __init__(self, inplanes, planes, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride=1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = None
        if stride != 1 or inplanes != planes:
            self.downsample = nn.Sequential(nn.Conv2d(inplanes, planes, 1, stride=stride, bias=False), nn.BatchNorm2d(planes))

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + (x if self.downsample is None else self.downsample(x)))


class ResNet8(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        self.relu = nn.ReLU(inplace=True)
        self.layer1 = nn.Sequential(BasicBlock(16, 16, 1))
        self.layer2 = nn.Sequential(BasicBlock(16, 32, 2))
        self.layer3 = nn.Sequential(BasicBlock(32, 64, 2))
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(64, 10)

    def forward(self, x):
        x = self.relu(self.bn1(self.conv1(x.view(-1, 1, 28, 28))))
        x = self.layer3(self.layer2(self.layer1(x)))
        return self.fc(torch.flatten(self.avgpool(x), 1))


class Images(nn.Module):
    """Reshapes flat 784-pixel rows to [N, 1, 28, 28] ahead of a CNN (no parameters, so no state-dict entry)."""

    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, x):
        return self.net(x.view(-1, 1, 28, 28))

    def state_dict(self, *args, **kwargs):
        return self.net.state_dict(*args, **kwargs)

    def load_state_dict(self, *args, **kwargs):
        return self.net.load_state_dict(*args, **kwargs)


def lenet5():
    return nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 16, 5), nn.ReLU(),
                         nn.MaxPool2d(2), nn.Flatten(), nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(),
                         nn.Linear(84, 10))


def build(name, widths=None, activation="relu"):
    if name == "mlp":
        return sequential(widths, activation)
    if name == "lenet5":
        return Images(lenet5())
    if name == "resnet8":
        return ResNet8()
    raise FormatError(f"unknown model '{name}' (expected mlp, lenet5 or resnet8)")


def describe(model):
    """One line, as Panagrad's metadata spells it: Sequential(Linear(784, 100), ReLU(), Linear(100, 10))."""
    if not isinstance(model, nn.Sequential):
        return type(model.net if isinstance(model, Images) else model).__name__
    parts = [f"Linear({m.in_features}, {m.out_features})" if isinstance(m, nn.Linear) else type(m).__name__ + "()"
             for m in model]
    return "Sequential(" + ", ".join(parts) + ")"


def widths_of(state_dict, path):
    widths, layer = [], 0
    while f"{layer}.weight" in state_dict:
        out, inp = state_dict[f"{layer}.weight"].shape
        widths += [inp, out] if not widths else [out]
        layer += 2
    if not widths:
        raise FormatError(f"{path}: expected tensors 0.weight, 0.bias, 2.weight, ...; found {sorted(state_dict)}")
    return widths


def find_data(given, dataset="mnist"):
    if dataset == "fashion-mnist":
        candidates = [given] if given else [os.environ.get("FASHION_MNIST_DIR"), "data/fashion-mnist",
                                            "../shared/data/fashion-mnist", "/usr/share/datasets/fashion-mnist"]
    else:
        candidates = [given] if given else [os.environ.get("MNIST_DIR"), "data/mnist", "../shared/data/mnist"]
    for d in filter(None, candidates):
        if Path(d, "t10k-images-idx3-ubyte").exists() or Path(d, "t10k-images-idx3-ubyte.gz").exists():
            return Path(d)
    raise FileNotFoundError(f"{dataset} data not found in {', '.join(filter(None, candidates))}")


def read_idx(directory, name, magic):
    plain = Path(directory, name)
    path = plain if plain.exists() else Path(str(plain) + ".gz")
    raw = (gzip.open if path.suffix == ".gz" else open)(path, "rb").read()
    (found,) = struct.unpack(">I", raw[:4])
    if found != magic:
        raise FormatError(f"{path}: at byte offset 0: magic number {found:#x}, expected {magic:#x}")
    dims = struct.unpack(">" + "I" * (magic & 0xFF), raw[4:4 + 4 * (magic & 0xFF)])
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * len(dims)).reshape(dims)


def mnist(directory, split):
    prefix = "t10k" if split == "test" else "train"
    images = read_idx(directory, f"{prefix}-images-idx3-ubyte", 0x803)
    labels = read_idx(directory, f"{prefix}-labels-idx1-ubyte", 0x801)
    # As Panagrad reads them: value / 255 and nothing else.
    x = torch.from_numpy(images.reshape(len(images), -1).astype(np.float32) / np.float32(255))
    return x, torch.from_numpy(labels.astype(np.int64))


@torch.no_grad()
def evaluate(model, x, y):
    logits = model(x)
    correct = int((logits.argmax(dim=1) == y).sum())
    return float(F.cross_entropy(logits, y)), correct, len(y)


def report(model, data_dir):
    loss, correct, total = evaluate(model, *mnist(data_dir, "test"))
    print(f"test loss {loss:.4f}  test accuracy {100 * correct / total:.2f}% ({correct}/{total} images)")


def cmd_eval(args):
    state_dict, metadata = load_checkpoint(args.checkpoint)
    name = args.model or metadata.get("model") or "mlp"
    if name == "vit-tiny":
        return cmd_vit_eval(args)
    if name == "mlp":
        activation = (args.activation or metadata.get("activation") or "").lower()
        if activation not in ACTIVATIONS:
            raise FormatError(f"{args.checkpoint}: the metadata does not name the activation; pass --activation relu, tanh or sigmoid")
        model = sequential(widths_of(state_dict, args.checkpoint), activation)
    else:
        model = build(name)
    model.load_state_dict(state_dict, strict=True)
    model.eval()
    print(f"{args.checkpoint}: {describe(model)} (read with {SAFETENSORS or 'the built-in safetensors reader'})")
    report(model, find_data(args.data, args.dataset))


def vit_tiny():
    """torchvision's VisionTransformer as the zoo's vit-tiny: one input channel, 16 patches of 7 x 7."""
    from torchvision.models.vision_transformer import VisionTransformer
    model = VisionTransformer(image_size=28, patch_size=7, num_layers=4, num_heads=4, hidden_dim=64, mlp_dim=128,
                              num_classes=10)
    model.conv_proj = nn.Conv2d(1, 64, kernel_size=7, stride=7)
    return model.eval()


def cmd_vit_eval(args):
    state_dict, metadata = load_checkpoint(args.checkpoint)
    model = vit_tiny()
    model.load_state_dict(state_dict, strict=True)
    print(f"{args.checkpoint}: torchvision VisionTransformer, {sum(p.numel() for p in model.parameters()):,} parameters,"
          f" loaded with strict=True; Panagrad recorded test accuracy {metadata.get('test_accuracy', '?')}")
    x, y = mnist(find_data(args.data), "test")
    loss, correct, total = evaluate(model, x.reshape(-1, 1, 28, 28), y)
    print(f"test loss {loss:.4f}  test accuracy {100 * correct / total:.2f}% ({correct}/{total} images)")


def cmd_write(args):
    widths = [int(w) for w in args.layers.split("-")]
    torch.manual_seed(args.seed)
    model = build(args.model, widths, args.activation)
    if args.train_steps:
        model.train()
        x, y = mnist(find_data(args.data, args.dataset), "train")
        opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
        for step in range(args.train_steps):
            idx = torch.randint(len(y), (128,))
            opt.zero_grad()
            F.cross_entropy(model(x[idx]), y[idx]).backward()
            opt.step()
    model.eval()
    metadata = {"format": "pt", "model": args.model}
    if args.model == "mlp":
        metadata["activation"] = args.activation
    save_checkpoint(args.checkpoint, model.state_dict(), metadata)
    print(f"wrote {args.checkpoint} with {SAFETENSORS or 'the built-in safetensors writer'}:"
          f" {describe(model)} after {args.train_steps} SGD steps")
    report(model, find_data(args.data, args.dataset))


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    e = sub.add_parser("eval", help="evaluate a safetensors checkpoint in PyTorch")
    e.add_argument("checkpoint")
    e.add_argument("--model", choices=MODELS)
    e.add_argument("--data")
    e.add_argument("--dataset", default="mnist", choices=["mnist", "fashion-mnist"])
    e.add_argument("--activation", choices=sorted(ACTIVATIONS))
    v = sub.add_parser("vit-eval", help="evaluate a vit-tiny checkpoint in torchvision's VisionTransformer")
    v.add_argument("checkpoint")
    v.add_argument("--data")
    w = sub.add_parser("write", help="write a PyTorch nn.Sequential checkpoint")
    w.add_argument("checkpoint")
    w.add_argument("--model", default="mlp", choices=MODELS)
    w.add_argument("--dataset", default="mnist", choices=["mnist", "fashion-mnist"])
    w.add_argument("--layers", default="784-100-10")
    w.add_argument("--activation", default="relu", choices=sorted(ACTIVATIONS))
    w.add_argument("--seed", type=int, default=0)
    w.add_argument("--train-steps", type=int, default=0)
    w.add_argument("--data")
    args = parser.parse_args(argv)
    try:
        {"eval": cmd_eval, "vit-eval": cmd_vit_eval, "write": cmd_write}[args.command](args)
    except (FormatError, FileNotFoundError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
