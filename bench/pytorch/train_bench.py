#!/usr/bin/env python3
"""PyTorch peer of `distributed bench train`: the same models, data, optimizer and batches, timed the same way.

Models (src/Core/Models/ModelZoo.cs):
  mlp  784 -> Linear 256 -> ReLU -> Linear 256 -> ReLU -> Linear 10                       (269,322 parameters)
  cnn  3x32x32 -> Conv 32 3x3 pad 1 -> ReLU -> MaxPool 2 -> Conv 64 3x3 pad 1 -> ReLU -> MaxPool 2
       -> Flatten 4096 -> Linear 128 -> ReLU -> Linear 10                                  (545,098 parameters)
Adam (lr 1e-3, PyTorch's other defaults, as the .NET Adam), softmax cross-entropy, 8,192 synthetic samples
(inputs N(0, 1), labels uniform over 10 classes), batch s taking the consecutive samples from
offset (s * batch) mod (8192 - batch). Warm-up steps 0 .. W-1 are untimed; steps W .. W+S-1 are timed, with the
device drained (torch.cuda.synchronize) before each clock reading.

By default the data set stays in (pinned) host memory and each batch is copied to the device, as the .NET trainer
uploads each batch; --data-on device keeps it resident instead. Only torch is needed.
"""

import argparse
import json
import sys
import time

import torch
from torch import nn

SAMPLES = 8192
CLASSES = 10


def build(model: str) -> nn.Module:
    if model == "mlp":
        return nn.Sequential(
            nn.Flatten(),
            nn.Linear(784, 256), nn.ReLU(),
            nn.Linear(256, 256), nn.ReLU(),
            nn.Linear(256, CLASSES))
    return nn.Sequential(
        nn.Conv2d(3, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(64 * 8 * 8, 128), nn.ReLU(),
        nn.Linear(128, CLASSES))


def positive(name: str, upper: int):
    def parse(text: str) -> int:
        value = int(text)
        if not 1 <= value <= upper:
            raise argparse.ArgumentTypeError(f"{name} must be between 1 and {upper}, got {value}")
        return value
    return parse


def non_negative(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {value}")
    return value


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--model", choices=["mlp", "cnn"], default="mlp")
    p.add_argument("--batch-size", type=positive("--batch-size", SAMPLES // 2), default=128)
    p.add_argument("--steps", type=positive("--steps", 1_000_000), default=200, help="timed steps")
    p.add_argument("--warmup", type=non_negative, default=10, help="untimed steps first")
    p.add_argument("--device", choices=["cuda", "cpu"], default="cuda")
    p.add_argument("--threads", type=non_negative, default=0, help="CPU threads (0: PyTorch's default)")
    p.add_argument("--data-on", choices=["host", "device"], default="host",
                   help="host: copy each batch from pinned host memory (as the .NET trainer does); device: resident")
    p.add_argument("--read-loss", action="store_true",
                   help="read the loss on the host every step (loss.item()), as the .NET trainer does")
    p.add_argument("--tf32", action="store_true",
                   help="allow TF32 in matmuls and convolutions (default: plain FP32, as the .NET backends compute)")
    p.add_argument("--no-cudnn-benchmark", action="store_true", help="do not let cuDNN pick convolution algorithms by timing")
    p.add_argument("--fused", action="store_true", help="fused Adam (CUDA only); default: PyTorch's default implementation")
    p.add_argument("--json", metavar="FILE", help="write the figures and settings to this file")
    return p.parse_args(argv)


def main(argv) -> int:
    a = parse_args(argv)
    if a.device == "cuda" and not torch.cuda.is_available():
        print("error: --device cuda: torch.cuda.is_available() is false (no GPU, or a CPU-only PyTorch build)", file=sys.stderr)
        return 1
    if a.fused and a.device != "cuda":
        print("error: --fused needs --device cuda", file=sys.stderr)
        return 2
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    torch.backends.cuda.matmul.allow_tf32 = a.tf32
    torch.backends.cudnn.allow_tf32 = a.tf32
    torch.backends.cudnn.benchmark = not a.no_cudnn_benchmark
    torch.manual_seed(1)

    device = torch.device(a.device)
    shape = (784,) if a.model == "mlp" else (3, 32, 32)
    x_all = torch.randn(SAMPLES, *shape)
    y_all = torch.randint(0, CLASSES, (SAMPLES,), dtype=torch.int64)
    if a.data_on == "device":
        x_all, y_all = x_all.to(device), y_all.to(device)
    elif a.device == "cuda":
        x_all, y_all = x_all.pin_memory(), y_all.pin_memory()

    net = build(a.model).to(device)
    parameters = sum(p.numel() for p in net.parameters())
    optimizer = torch.optim.Adam(net.parameters(), lr=1e-3, **({"fused": True} if a.fused else {}))
    loss_fn = nn.CrossEntropyLoss()
    batch = a.batch_size

    def step(s: int) -> None:
        offset = s * batch % (SAMPLES - batch)
        xb = x_all[offset:offset + batch].to(device, non_blocking=True)
        yb = y_all[offset:offset + batch].to(device, non_blocking=True)
        optimizer.zero_grad()
        loss = loss_fn(net(xb), yb)
        if a.read_loss:
            loss.item()
        loss.backward()
        optimizer.step()

    def drain() -> None:
        if device.type == "cuda":
            torch.cuda.synchronize()

    for s in range(a.warmup):
        step(s)
    drain()
    start = time.perf_counter()
    for s in range(a.warmup, a.warmup + a.steps):
        step(s)
    drain()
    seconds = time.perf_counter() - start

    samples_per_second = a.steps * batch / seconds
    ms_per_step = seconds * 1000 / a.steps
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else f"{torch.get_num_threads()} threads"
    print(f"pytorch {a.model} batch {batch} {a.device}: {samples_per_second:.0f} samples/s ({ms_per_step:.2f} ms/step)")
    settings = [f"torch {torch.__version__}", name, f"{parameters:,} parameters", f"{a.steps} timed steps after {a.warmup} warm-up"]
    if device.type == "cuda":
        settings += [f"data on {a.data_on}", f"tf32 {'on' if a.tf32 else 'off'}",
                     f"cudnn.benchmark {'off' if a.no_cudnn_benchmark else 'on'}", "fused Adam" if a.fused else "Adam"]
    if a.read_loss:
        settings.append("loss read every step")
    print("  " + ", ".join(settings))
    if a.json:
        with open(a.json, "w", encoding="utf-8") as f:
            json.dump({
                "framework": "pytorch", "torch_version": torch.__version__, "model": a.model, "device": a.device,
                "backend": name, "parameters": parameters, "batch_size": batch, "threads": torch.get_num_threads(),
                "steps": a.steps, "warmup": a.warmup, "samples_per_second": samples_per_second,
                "ms_per_step": ms_per_step, "data_on": a.data_on, "read_loss": a.read_loss, "tf32": a.tf32,
                "cudnn_benchmark": not a.no_cudnn_benchmark, "fused_adam": a.fused,
            }, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
