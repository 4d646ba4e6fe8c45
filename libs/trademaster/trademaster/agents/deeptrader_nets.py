"""DeepTrader's two units and its portfolio generator (Wang et al. 2021, AAAI).

* Asset scoring unit: per asset, dilated causal temporal convolutions over its feature window
  (weights shared by the assets); a graph convolution over the assets on an adaptive adjacency
  ``softmax(relu(E1 E2^T))`` learned from node embeddings (Graph WaveNet's, which the paper's
  unit builds on); spatial attention between assets; a sigmoid score per asset.
* Market scoring unit: an LSTM over the market's feature window with temporal attention, giving
  the mean and standard deviation of ``rho`` ~ N(mu, sigma), clipped to [0, 1].
* Portfolio: ``winners`` assets drawn without replacement with probabilities proportional to
  their scores (the greedy policy takes the top scores), weighted by the softmax of their
  scores, scaled by ``1 - rho``; ``rho`` goes to cash.
"""

from __future__ import annotations

import logging
import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from trademaster.agents.base import Policy
from trademaster.agents.eiie import ObservationLayout

_LOGGER = logging.getLogger(__name__)

_MIN_WEIGHT = 1e-12
"""Floor of a weight turned into a logit for envs that apply a softmax (log 0 is -inf)."""


class AssetScoringUnit(nn.Module):
    """Scores [B, A] in (0, 1) from feature windows [B, F, A, W]."""

    def __init__(
        self, features: int, assets: int, hidden: int, layers: int, embedding: int
    ) -> None:
        super().__init__()
        self.convs = nn.ModuleList(
            nn.Conv2d(features if i == 0 else hidden, hidden, (1, 2), dilation=(1, 2**i))
            for i in range(layers)
        )
        self.source = nn.Parameter(torch.randn(assets, embedding) / math.sqrt(embedding))
        self.target = nn.Parameter(torch.randn(assets, embedding) / math.sqrt(embedding))
        self.graph = nn.Linear(hidden, hidden)
        self.query = nn.Linear(hidden, hidden)
        self.key = nn.Linear(hidden, hidden)
        self.score = nn.Linear(hidden, 1)

    def adjacency(self) -> Tensor:
        """The adaptive adjacency [A, A], rows summing to 1."""
        return torch.softmax(F.relu(self.source @ self.target.T), dim=1)

    def forward(self, windows: Tensor) -> Tensor:
        h = windows
        for i, conv in enumerate(self.convs):
            out = F.relu(conv(F.pad(h, (2**i, 0))))  # causal: pad the past only
            h = out + h if out.shape == h.shape else out
        nodes = h[..., -1].transpose(1, 2)  # [B, A, H] at the latest bar
        nodes = nodes + F.relu(self.graph(torch.einsum("ij,bjh->bih", self.adjacency(), nodes)))
        att = self.query(nodes) @ self.key(nodes).transpose(1, 2) / math.sqrt(nodes.shape[2])
        nodes = nodes + torch.softmax(att, dim=2) @ nodes
        return torch.sigmoid(self.score(nodes).squeeze(2))


class MarketScoringUnit(nn.Module):
    """(mu, sigma) of rho [B] each, from market windows [B, W, F]."""

    def __init__(self, features: int, hidden: int) -> None:
        super().__init__()
        self.lstm = nn.LSTM(features, hidden, batch_first=True)
        self.attention = nn.Linear(hidden, 1)
        self.head = nn.Linear(hidden, 2)

    def forward(self, market: Tensor) -> tuple[Tensor, Tensor]:
        out, _ = self.lstm(market)
        alpha = torch.softmax(self.attention(torch.tanh(out)), dim=1)
        mu, sigma = self.head((alpha * out).sum(1)).unbind(1)
        return torch.sigmoid(mu), F.softplus(sigma) + 1e-3


def set_log_prob(scores: Tensor, order: Tensor) -> Tensor:
    """Log-probability [B] of drawing ``order`` [B, G] (in that order) without replacement with
    probabilities proportional to ``scores`` [B, A]."""
    remaining = scores.sum(1)
    total = torch.zeros_like(remaining)
    for k in range(order.shape[1]):
        picked = scores.gather(1, order[:, k : k + 1]).squeeze(1)
        total = total + torch.log(picked) - torch.log(remaining)
        remaining = remaining - picked
    return total


def portfolio(scores: Tensor, order: Tensor, rho: Tensor) -> Tensor:
    """Weights [B, A + 1] over [cash, assets]: rho in cash, 1 - rho over the winners."""
    winner_w = torch.softmax(scores.gather(1, order), dim=1) * (1.0 - rho).unsqueeze(1)
    assets = torch.zeros_like(scores).scatter(1, order, winner_w)
    return torch.cat([rho.unsqueeze(1), assets], dim=1)


class DeepTraderPolicy(Policy):
    """Both units; ``act`` returns weights, or their logs where the env applies a softmax."""

    def __init__(
        self,
        layout: ObservationLayout,
        *,
        hidden: int,
        layers: int,
        embedding: int,
        winners: int,
        emit_weights: bool,
    ) -> None:
        super().__init__()
        self.layout, self.winners, self.emit_weights = layout, winners, emit_weights
        self.asset_unit = AssetScoringUnit(
            layout.features, layout.assets, hidden, layers, embedding
        )
        self.market_unit = MarketScoringUnit(layout.features, hidden)

    def scores(self, obs: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """Asset scores [B, A] and the market unit's (mu, sigma) [B] each."""
        windows = self.layout.windows(obs)  # [B, F, A, W]
        mu, sigma = self.market_unit(windows.mean(2).transpose(1, 2))
        return self.asset_unit(windows), mu, sigma

    def to_action(self, weights: Tensor) -> Tensor:
        return weights if self.emit_weights else torch.log(weights.clamp_min(_MIN_WEIGHT))

    @torch.no_grad()
    def act(self, obs: Tensor, *, deterministic: bool, action_mask: Tensor | None = None) -> Tensor:
        scores, mu, sigma = self.scores(obs)
        if deterministic:
            order = scores.topk(self.winners, dim=1).indices
            rho = mu
        else:
            order = sample_winners(scores, self.winners, None)
            rho = mu + sigma * torch.randn_like(mu)
        return self.to_action(portfolio(scores, order, rho.clamp(0.0, 1.0)))


def sample_winners(scores: Tensor, winners: int, generator: torch.Generator | None) -> Tensor:
    """Indices [B, G] drawn without replacement proportionally to ``scores`` (Gumbel top-k:
    the order of the keys is the order of a sequential draw)."""
    uniform = torch.rand(scores.shape, generator=generator, device=scores.device)
    gumbel = -torch.log(-torch.log(uniform.clamp(1e-20, 1.0 - 1e-7)))
    return (torch.log(scores) + gumbel).topk(winners, dim=1).indices
