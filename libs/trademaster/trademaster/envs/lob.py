"""Limit-order-book inputs shared by the execution and HFT envs."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor

from trademaster.envs.series import as_tensor, feature_windows, positive_prices

_LOGGER = logging.getLogger(__name__)

_BPS = 1e4


@dataclass(frozen=True)
class BookTensors:
    """Level prices/sizes [T, L] (level 0 best) as float64 tensors on one device."""

    bid_price: Tensor
    bid_size: Tensor
    ask_price: Tensor
    ask_size: Tensor

    @property
    def mid(self) -> Tensor:
        return (self.bid_price[:, 0] + self.ask_price[:, 0]) / 2.0

    @property
    def spread_bps(self) -> Tensor:
        return (self.ask_price[:, 0] - self.bid_price[:, 0]) / self.mid * _BPS

    def __len__(self) -> int:
        return int(self.bid_price.shape[0])


def book_tensors(book: Any, device: torch.device) -> BookTensors:
    """Accept an ``OrderBook``-like object or a mapping with bid/ask price/size arrays [T, L]."""

    def get(name: str) -> Any:
        return book[name] if isinstance(book, dict) else getattr(book, name)

    prices = {
        n: positive_prices(get(n), name=n, ndim=2, device=device)
        for n in ("bid_price", "ask_price")
    }
    sizes = {
        n: as_tensor(get(n), name=n, ndim=2, dtype=torch.float64, device=device)
        for n in ("bid_size", "ask_size")
    }
    shape = prices["bid_price"].shape
    for name, tensor in {**prices, **sizes}.items():
        if tensor.shape != shape:
            raise ValueError(f"{name} must have shape {tuple(shape)}, had {tuple(tensor.shape)}")
    for name, tensor in sizes.items():
        if bool((tensor < 0).any()):
            raise ValueError(f"{name} must be >= 0 everywhere")
    if bool((prices["ask_price"][:, 0] < prices["bid_price"][:, 0]).any()):
        raise ValueError("best ask must be >= best bid at every step")
    return BookTensors(**prices, **sizes)


def book_feature_windows(book: BookTensors, window: int) -> Tensor:
    """Observation windows [T, window * (4L + 1)] float32, row t using snapshots <= t only.

    Per snapshot: bid and ask level distances from mid (bps), log1p of level sizes, and the
    mid's log return since the previous snapshot (×1e4).
    """
    mid = book.mid
    ret = torch.zeros_like(mid)
    ret[1:] = torch.log(mid[1:] / mid[:-1]) * _BPS
    per_bar = torch.cat(
        [
            (book.bid_price / mid.unsqueeze(1) - 1.0) * _BPS,
            (book.ask_price / mid.unsqueeze(1) - 1.0) * _BPS,
            torch.log1p(book.bid_size),
            torch.log1p(book.ask_size),
            ret.unsqueeze(1),
        ],
        dim=1,
    ).to(torch.float32)
    return feature_windows(per_bar, window)
