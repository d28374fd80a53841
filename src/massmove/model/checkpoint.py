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
#: segmentation-models-pytorch's description of the network (written by save_pretrained)
NETWORK_CONFIG = "config.json"
#: smp's class name of each massmove architecture
SMP_CLASSES = {"unetplusplus": "UnetPlusPlus"}
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
            "network_config_sha256": file_hexdigest(tmp / NETWORK_CONFIG, "sha256"),
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


def verify_member(directory: str | Path, *, channels: Sequence[str], patch_px: int) -> dict[str, Any]:
    """Check a member without loading it (cheap enough for the workflow's parse): its record,
    that it expects these channels and this patch size, its weights' and network description's
    sha256, and that the network description (smp's ``config.json``) is the network the record
    names: architecture, encoder, decoder, input channels, one output class. Returns the record.
    """
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
    for name, key in ((WEIGHTS, "weights_sha256"), (NETWORK_CONFIG, "network_config_sha256")):
        path = directory / name
        if not path.is_file():
            raise CorruptInputError(f"checkpoint {directory}: {name} is missing")
        found = file_hexdigest(path, "sha256")
        if key in record and found != record[key]:
            raise CorruptInputError(
                f"checkpoint {directory}: {name} has sha256 {found[:12]}..., {METADATA} records "
                f"{record[key][:12]}... (corrupt or replaced)"
            )
    try:
        described = json.loads((directory / NETWORK_CONFIG).read_text())
    except json.JSONDecodeError as err:
        raise CorruptInputError(
            f"checkpoint {directory}: {NETWORK_CONFIG} is not valid JSON ({err})"
        ) from err
    expected = {
        "_model_class": SMP_CLASSES.get(record["architecture"], record["architecture"]),
        "encoder_name": record["encoder"],
        "decoder_channels": list(record["decoder_channels"]),
        "in_channels": len(record["channels"]),
        "classes": 1,
    }
    for key, value in expected.items():
        if described.get(key) != value:
            raise CorruptInputError(
                f"checkpoint {directory}: {NETWORK_CONFIG} gives {key} {described.get(key)!r}, "
                f"a massmove member has {value!r} ({METADATA}); not the network it records"
            )
    return record


def load_member(
    directory: str | Path, *, channels: Sequence[str], patch_px: int
) -> tuple[torch.nn.Module, dict[str, Any]]:
    """Load a member after :func:`verify_member`, from its local files only: the network is
    built from the record (no pretrained encoder, nothing fetched from a model hub) and the
    weights are read from its safetensors file, every tensor matched by name and shape."""
    from safetensors.torch import load_file

    from massmove.model.network import build_network, network_settings

    directory = Path(directory)
    record = verify_member(directory, channels=channels, patch_px=patch_px)
    network = build_network(**network_settings(record))
    try:
        network.load_state_dict(load_file(directory / WEIGHTS), strict=True)
    except (RuntimeError, OSError) as err:  # missing, unexpected or mis-shaped tensors
        first = str(err).splitlines()[0]
        raise CorruptInputError(
            f"checkpoint {directory}: weights do not fit the recorded network ({first})"
        ) from None
    return network.eval(), record
