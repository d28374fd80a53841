"""The segmentation network, the device and the arithmetic it runs in."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import torch

from massmove.errors import ConfigError

#: smp architecture names of the config's model.architecture values
ARCHITECTURES = {"unetplusplus": "unetplusplus"}


def build_network(
    *, architecture: str, encoder: str, decoder_channels: Sequence[int], in_channels: int
) -> torch.nn.Module:
    """A segmentation-models-pytorch network with one output (logit) channel, built with
    ``encoder_weights=None`` so nothing is downloaded."""
    import segmentation_models_pytorch as smp

    if architecture not in ARCHITECTURES:
        raise ConfigError(f"config key 'model.architecture': {architecture!r} is not a network")
    return smp.create_model(
        ARCHITECTURES[architecture],
        encoder_name=encoder,
        encoder_weights=None,
        in_channels=in_channels,
        classes=1,
        decoder_channels=list(decoder_channels),
    )


def network_settings(model_config: Mapping[str, Any]) -> dict[str, Any]:
    """Keyword arguments of :func:`build_network` from the config's ``model`` section."""
    return {
        "architecture": model_config["architecture"],
        "encoder": model_config["encoder"],
        "decoder_channels": list(model_config["decoder_channels"]),
        "in_channels": len(model_config["channels"]),
    }


def resolve_device(name: str) -> torch.device:
    """``auto`` -> CUDA when present, else the CPU; an explicit CUDA device must exist."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise ConfigError(f"config key 'model.device': {name} asked for, but torch sees no CUDA device")
    return torch.device(name)


def cpu_supports_bf16() -> bool:
    """Whether the CPU has native bfloat16 arithmetic (AVX-512 BF16 or AMX)."""
    checks = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")
    return any(bool(getattr(torch.cpu, name, lambda: False)()) for name in checks)


def autocast_dtype(device: torch.device, precision: str) -> torch.dtype | None:
    """Autocast dtype for a precision setting on a device; ``None`` = plain fp32."""
    if precision == "fp32":
        return None
    if precision == "bf16":
        return torch.bfloat16
    if precision == "fp16":
        return torch.float16
    if device.type == "cuda":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return torch.bfloat16 if cpu_supports_bf16() else None


def dtype_name(dtype: torch.dtype | None) -> str:
    """Name of an autocast dtype as products and checkpoints record it (``float32`` for none)."""
    return str(dtype).replace("torch.", "") if dtype else "float32"


@contextlib.contextmanager
def autocast(device: torch.device, dtype: torch.dtype | None) -> Iterator[None]:
    """Autocast to ``dtype`` on ``device``, or nothing when ``dtype`` is None."""
    if dtype is None:
        yield
        return
    with torch.autocast(device_type=device.type, dtype=dtype):
        yield


def make_deterministic(device: torch.device, seed: int) -> None:
    """Seed torch and ask for deterministic kernels (same seed, same machine, same result)."""
    import os

    torch.manual_seed(seed)
    if device.type == "cuda":
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        torch.backends.cudnn.benchmark = False
        torch.backends.cudnn.deterministic = True
    torch.use_deterministic_algorithms(True)
