"""Ensemble members on disk: smp ``save_pretrained`` directories plus ``massmove.json``."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray

from massmove.errors import CorruptInputError, InputError
from massmove.io.atomic import atomic_path
from massmove.io.digest import file_hexdigest

METADATA = "massmove.json"
WEIGHTS = "model.safetensors"
#: out-of-fold likelihood of a member's validation tiles (float32 .npy: byte-reproducible)
OOF_FILE = "out_of_fold.npy"
FORMAT_VERSION = 1


def save_member(
    network: torch.nn.Module,
    directory: str | Path,
    metadata: Mapping[str, Any],
    *,
    extra_arrays: Mapping[str, NDArray] | None = None,
) -> None:
    """Write a member atomically: weights and smp config, arrays beside them (``.npy``), then
    ``massmove.json`` with the weights' sha256 (so a corrupt or swapped file is caught when
    loaded)."""
    with atomic_path(directory, directory=True) as tmp:
        # smp models are huggingface-hub mixins: save_pretrained writes config.json and weights
        save_pretrained: Any = network.save_pretrained
        save_pretrained(str(tmp))
        for name, values in (extra_arrays or {}).items():
            np.save(tmp / name, np.ascontiguousarray(values), allow_pickle=False)
        record = {
            "format": FORMAT_VERSION,
            **metadata,
            "weights_sha256": file_hexdigest(tmp / WEIGHTS, "sha256"),
        }
        (tmp / METADATA).write_text(json.dumps(record, indent=2, sort_keys=True) + "\n")


def read_metadata(directory: str | Path) -> dict[str, Any]:
    """``massmove.json`` of a member, checked for presence and form."""
    directory = Path(directory)
    if not directory.is_dir():
        raise InputError(f"checkpoint {directory}: not found (model.checkpoints lists it)")
    path = directory / METADATA
    if not path.is_file():
        raise InputError(f"checkpoint {directory}: no {METADATA}; not a massmove ensemble member")
    try:
        record = json.loads(path.read_text())
    except json.JSONDecodeError as err:
        raise CorruptInputError(f"checkpoint {directory}: {METADATA} is not valid JSON ({err})") from err
    for key in ("channels", "patch_px", "architecture", "encoder", "decoder_channels", "weights_sha256"):
        if key not in record:
            raise CorruptInputError(f"checkpoint {directory}: {METADATA} lacks {key!r}")
    return record


def load_member(
    directory: str | Path, *, channels: Sequence[str], patch_px: int
) -> tuple[torch.nn.Module, dict[str, Any]]:
    """Load a member after checking that it expects these channels and this patch size and
    that its weights are the ones it was saved with."""
    import segmentation_models_pytorch as smp

    directory = Path(directory)
    record = read_metadata(directory)
    if list(record["channels"]) != list(channels):
        raise InputError(
            f"checkpoint {directory}: expects channels {record['channels']}, the config gives "
            f"{list(channels)} (model.channels)"
        )
    if int(record["patch_px"]) != int(patch_px):
        raise InputError(
            f"checkpoint {directory}: trained on {record['patch_px']} px patches, the config "
            f"uses {patch_px} px (train.patch_px)"
        )
    weights = directory / WEIGHTS
    if not weights.is_file():
        raise CorruptInputError(f"checkpoint {directory}: {WEIGHTS} is missing")
    found = file_hexdigest(weights, "sha256")
    if found != record["weights_sha256"]:
        raise CorruptInputError(
            f"checkpoint {directory}: {WEIGHTS} has sha256 {found[:12]}..., {METADATA} records "
            f"{record['weights_sha256'][:12]}... (corrupt or replaced)"
        )
    try:
        network = smp.from_pretrained(str(directory))
    except Exception as err:  # safetensors/json errors of a damaged directory
        raise CorruptInputError(f"checkpoint {directory}: cannot load ({err})") from err
    return network.eval(), record
