"""Training throughput of one ensemble member against the GEMM bound of this machine.

One optimiser step of the deployed network (``model`` section of the config: UNet++ with a
ResNet-18 encoder and the halved decoder) on a batch of ``train.batch_size`` crops of
``train.crop_px`` (forward, loss, backward, AdamW), in each arithmetic the CPU offers (fp32;
bf16 autocast where the CPU has native bf16), with ``--threads`` intra-op threads. Its
floating-point operations are counted once with ``torch.utils.flop_counter``; the GEMM bound
is a large fp32 matrix product timed in the same process with the same threads. Printed:
training patches per second, the step's achieved GFLOP/s and its ratio to the GEMM bound
(how much a faster convolution could still buy), and the steps per member the default
schedule and a 10x schedule cost in CPU minutes.

Usage: .venv/bin/python benchmarks/training_throughput.py [--threads 1] [--steps 20]
"""

from __future__ import annotations

import argparse
import time

import torch
from torch.utils.flop_counter import FlopCounterMode

from massmove.config import resolve_config
from massmove.model.network import build_network, cpu_supports_bf16, network_settings
from massmove.model.train import TrainSettings, segmentation_loss


def gemm_gflops(size: int = 2048, repeats: int = 5) -> float:
    """fp32 GFLOP/s of an n x n matrix product (the bound a convolution lowered to GEMM meets)."""
    a, b = torch.randn(size, size), torch.randn(size, size)
    torch.mm(a, b)
    start = time.perf_counter()
    for _ in range(repeats):
        torch.mm(a, b)
    return 2 * size**3 * repeats / (time.perf_counter() - start) / 1e9


def step_function(config: dict, dtype: torch.dtype | None):
    """A closure running one training step on a fixed batch, and the step's FLOPs."""
    train = config["train"]
    settings = TrainSettings.from_config(train)
    torch.manual_seed(0)
    network = build_network(**network_settings(config["model"])).train()
    optimiser = torch.optim.AdamW(network.parameters(), lr=train["learning_rate"])
    n, crop = train["batch_size"], train["crop_px"]
    x = torch.randn(n, len(config["model"]["channels"]), crop, crop)
    labels = (torch.rand(n, crop, crop) > 0.9).to(torch.uint8)
    valid = torch.ones(n, crop, crop, dtype=torch.bool)

    def step() -> None:
        optimiser.zero_grad(set_to_none=True)
        with torch.autocast("cpu", dtype=dtype, enabled=dtype is not None):
            logits = network(x)[:, 0]
        segmentation_loss(logits, labels, valid, settings).backward()
        optimiser.step()

    with FlopCounterMode(display=False) as counter:
        step()
    return step, counter.get_total_flops()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--threads", type=int, default=1, help="torch intra-op threads (train.torch_threads)")
    parser.add_argument("--steps", type=int, default=20, help="timed steps per arithmetic")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    config = resolve_config({})
    train = config["train"]
    bound = gemm_gflops()
    print(f"{args.threads} thread(s); fp32 GEMM bound {bound:.1f} GFLOP/s")
    arithmetics: dict[str, torch.dtype | None] = {"fp32": None}
    if cpu_supports_bf16():
        arithmetics["bf16"] = torch.bfloat16
    for name, dtype in arithmetics.items():
        step, flops = step_function(config, dtype)
        step()  # warm-up
        start = time.perf_counter()
        for _ in range(args.steps):
            step()
        seconds = (time.perf_counter() - start) / args.steps
        achieved = flops / seconds / 1e9
        print(
            f"{name}: {seconds:.3f} s per step of {train['batch_size']} x {train['crop_px']} px crops, "
            f"{train['batch_size'] / seconds:.1f} patches/s, {flops / 1e9:.1f} GFLOP per step, "
            f"{achieved:.1f} GFLOP/s = {achieved / bound:.2f} of the GEMM bound"
        )
        for steps in (70, 700):
            print(f"  {steps} steps: {steps * seconds / 60:.1f} CPU min per member (one thread)")


if __name__ == "__main__":
    main()
