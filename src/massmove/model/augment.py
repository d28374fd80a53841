"""Label-preserving augmentation of input batches (torch, seeded)."""

from __future__ import annotations

from collections.abc import Sequence

import torch


def augment_batch(
    inputs: torch.Tensor,
    labels: torch.Tensor,
    valid: torch.Tensor,
    channels: Sequence[str],
    generator: torch.Generator,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Random flips, 90 degree rotations, a constant phase offset and a phase sign flip.

    ``inputs`` is (n, c, h, w) with the normalised channels of :mod:`massmove.detect.channels`;
    ``labels`` and ``valid`` are (n, h, w). Adding a constant to the wrapped phase (an unknown
    reference phase) or flipping its sign (the other look direction's convention) leaves the
    pattern, and so the label, unchanged. A sibling's phase (``sibling_*`` channels) gets its
    own offset and the pair's sign.
    """
    n = inputs.shape[0]
    draws = torch.rand((n, 5), generator=generator)
    out_x, out_y, out_v = [], [], []
    for i in range(n):
        x, y, v = inputs[i], labels[i], valid[i]
        turns = int(draws[i, 0] * 4) % 4
        if turns:
            x, y, v = (torch.rot90(t, turns, dims=(-2, -1)) for t in (x, y, v))
        if draws[i, 1] < 0.5:
            x, y, v = (torch.flip(t, dims=(-1,)) for t in (x, y, v))
        if draws[i, 2] < 0.5:
            x, y, v = (torch.flip(t, dims=(-2,)) for t in (x, y, v))
        out_x.append(x)
        out_y.append(y)
        out_v.append(v)
    x = torch.stack(out_x)
    sign = torch.where(draws[:, 4] < 0.5, -1.0, 1.0).view(n, 1, 1)
    if "cos_phase" in channels and "sin_phase" in channels:
        _shift_phase(x, channels, "", (draws[:, 3] * 2 * torch.pi).view(n, 1, 1), sign)
    if "sibling_cos_phase" in channels and "sibling_sin_phase" in channels:
        # the sibling's own unknown reference phase (drawn after the pair's, so that a
        # three-channel batch draws what it always drew); one look direction for both
        offset = (torch.rand(n, generator=generator) * 2 * torch.pi).view(n, 1, 1)
        _shift_phase(x, channels, "sibling_", offset, sign)
    return x.contiguous(), torch.stack(out_y).contiguous(), torch.stack(out_v).contiguous()


def _shift_phase(
    x: torch.Tensor, channels: Sequence[str], prefix: str, offset: torch.Tensor, sign: torch.Tensor
) -> None:
    """Add ``offset`` to the phase held in the ``{prefix}cos_phase`` and ``{prefix}sin_phase``
    channels of ``x`` (in place), then multiply the phase by ``sign``."""
    c, s = channels.index(f"{prefix}cos_phase"), channels.index(f"{prefix}sin_phase")
    cos_phase, sin_phase = x[:, c].clone(), x[:, s].clone()
    x[:, c] = cos_phase * torch.cos(offset) - sin_phase * torch.sin(offset)
    x[:, s] = sign * (sin_phase * torch.cos(offset) + cos_phase * torch.sin(offset))
