"""Input validation and window tables shared by the envs (numpy/torch in, torch out)."""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import torch
from torch import Tensor

_LOGGER = logging.getLogger(__name__)


def as_tensor(
    values: Any, *, name: str, ndim: int, dtype: torch.dtype, device: torch.device
) -> Tensor:
    """Convert an array-like to a finite tensor of ``ndim`` dims, naming it in errors."""
    tensor = torch.as_tensor(np.asarray(values), dtype=dtype, device=device)
    if tensor.dim() != ndim:
        raise ValueError(f"{name} must have {ndim} dims, had shape {tuple(tensor.shape)}")
    if not bool(torch.isfinite(tensor).all()):
        raise ValueError(f"{name} must be finite (no NaN/inf)")
    return tensor.contiguous()


def positive_prices(values: Any, *, name: str, ndim: int, device: torch.device) -> Tensor:
    """Prices as float64 tensors, all > 0."""
    tensor = as_tensor(values, name=name, ndim=ndim, dtype=torch.float64, device=device)
    if not bool((tensor > 0).all()):
        raise ValueError(f"{name} must be > 0 everywhere")
    return tensor


def feature_windows(features: Tensor, window: int) -> Tensor:
    """[T, ...] → [T, window * prod(...)]: row t holds bars t-window+1..t (zeros before 0).

    Row t never contains data after t, which is what makes observations look-ahead free.
    """
    steps = features.shape[0]
    flat = features.reshape(steps, -1)
    padded = torch.cat([flat.new_zeros(window - 1, flat.shape[1]), flat], dim=0)
    return padded.unfold(0, window, 1).transpose(1, 2).reshape(steps, -1).contiguous()
