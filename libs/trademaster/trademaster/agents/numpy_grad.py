"""Gradient steps of small MLPs on numpy: forward with cache, backward, clip, Adam.

Why: at the settings users compare against (Stable-Baselines3 defaults: 64x64 MLPs, batches of
32-64, one env) a torch gradient step is almost all dispatch and autograd-graph overhead,
~60 ops at 5-25 µs each, while the arithmetic is a few 64x64 matmuls. The same step written as
~30 numpy calls is several times faster on CPU. Parameters, gradients' targets and the Adam
moments stay the torch tensors (numpy views share their memory), so checkpoints, serving and
the torch path on other devices see one model and one ``torch.optim.Adam`` state. Each
agent's numpy update is tested against its torch autograd twin.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Sequence

import numpy as np
import torch
from torch import nn

_LOGGER = logging.getLogger(__name__)

Cache = list[tuple[np.ndarray, np.ndarray]]


class NumpyMLP:
    """Linear/ReLU/Tanh sequence on numpy views of its (CPU) torch parameters, with backward.

    The views share memory with the parameters, so optimizer steps and ``load_state_dict`` are
    seen without copying. Float32 like the torch module; outputs agree with it to float32
    rounding (the BLAS differs).
    """

    def __init__(self, modules: Iterable[nn.Module]) -> None:
        self.linears: list[nn.Linear] = []
        self.activations: list[str | None] = []
        for module in modules:
            if isinstance(module, nn.Linear):
                if module.bias is None or module.weight.device.type != "cpu":
                    raise ValueError("NumpyMLP needs CPU Linear layers with a bias")
                self.linears.append(module)
                self.activations.append(None)
            elif isinstance(module, (nn.ReLU, nn.Tanh)) and self.linears:
                self.activations[-1] = "relu" if isinstance(module, nn.ReLU) else "tanh"
            else:
                raise ValueError(f"NumpyMLP cannot train {type(module).__name__} here")
        self.weights = [lin.weight.detach().numpy() for lin in self.linears]
        self.biases = [lin.bias.detach().numpy() for lin in self.linears]  # type: ignore[union-attr]

    @property
    def parameters(self) -> list[nn.Parameter]:
        """Torch parameters in the order :meth:`backward` returns their gradients."""
        params: list[nn.Parameter] = []
        for lin in self.linears:
            params += [lin.weight, lin.bias]  # type: ignore[list-item]
        return params

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """Forward pass without a cache (acting)."""
        for weight, bias, act in zip(self.weights, self.biases, self.activations, strict=True):
            x = x @ weight.T + bias
            if act == "relu":
                x = np.maximum(x, 0.0)
            elif act == "tanh":
                x = np.tanh(x)
        return x

    def forward(self, x: np.ndarray) -> tuple[np.ndarray, Cache]:
        """Output and the cache backward needs: (layer input, activation output) per layer."""
        cache: Cache = []
        for weight, bias, act in zip(self.weights, self.biases, self.activations, strict=True):
            y = x @ weight.T + bias
            if act == "relu":
                y = np.maximum(y, 0.0)
            elif act == "tanh":
                y = np.tanh(y)
            cache.append((x, y))
            x = y
        return x, cache

    def backward(self, cache: Cache, grad_out: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
        """Gradients of the parameters (``parameters`` order) and of the input."""
        grads, g = self._backward(cache, grad_out, input_grad=True)
        if g is None:
            raise RuntimeError("input gradient requested but not computed")
        return grads, g

    def parameter_grads(self, cache: Cache, grad_out: np.ndarray) -> list[np.ndarray]:
        """Gradients of the parameters only: skips the first layer's input gradient, a
        [batch, in] x [in, out] product as costly as its weight gradient on wide inputs."""
        return self._backward(cache, grad_out, input_grad=False)[0]

    def _backward(
        self, cache: Cache, grad_out: np.ndarray, *, input_grad: bool
    ) -> tuple[list[np.ndarray], np.ndarray | None]:
        grads: list[np.ndarray] = []
        g = grad_out
        for i in reversed(range(len(self.weights))):
            x, y = cache[i]
            act = self.activations[i]
            if act == "relu":
                g = g * (y > 0.0)
            elif act == "tanh":
                g = g * (1.0 - y * y)
            grads += [g.sum(axis=0), g.T @ x]
            if i == 0 and not input_grad:
                grads.reverse()
                return grads, None
            g = g @ self.weights[i]
        grads.reverse()
        return grads, g


class NumpyAdam:
    """``optimizer``'s Adam update (one group, no weight decay/amsgrad) with clipping, on numpy.

    The moments of all ``params`` are two flat float32 arrays (one op per update instead of one
    per parameter); ``optimizer.state`` holds tensor views of them, so ``optimizer.state_dict()``
    is the checkpoint and a resume on the torch path continues the same run. Call
    :meth:`rebind` after ``optimizer.load_state_dict``.
    """

    def __init__(self, optimizer: torch.optim.Adam, params: Sequence[nn.Parameter]) -> None:
        group = optimizer.param_groups[0]
        if len(optimizer.param_groups) != 1 or group["weight_decay"] or group["amsgrad"]:
            raise ValueError("NumpyAdam supports one param group, no weight decay, no amsgrad")
        self.optimizer = optimizer
        self.params = list(params)
        self._sizes = [p.numel() for p in self.params]
        self._offsets = np.cumsum([0, *self._sizes]).tolist()
        self._views = [p.detach().numpy() for p in self.params]
        self.rebind()

    def rebind(self) -> None:
        """(Re)build the flat moments from ``optimizer.state`` and point the state at them."""
        total = self._offsets[-1]
        self.exp_avg = np.zeros(total, dtype=np.float32)
        self.exp_avg_sq = np.zeros(total, dtype=np.float32)
        self._step = np.zeros((), dtype=np.float32)
        state = self.optimizer.state
        for param, lo, hi in zip(self.params, self._offsets, self._offsets[1:], strict=False):
            st = state[param]
            if st:
                self.exp_avg[lo:hi] = st["exp_avg"].detach().cpu().numpy().ravel()
                self.exp_avg_sq[lo:hi] = st["exp_avg_sq"].detach().cpu().numpy().ravel()
                self._step[()] = float(st["step"])
            st["exp_avg"] = torch.from_numpy(self.exp_avg[lo:hi]).view(param.shape)
            st["exp_avg_sq"] = torch.from_numpy(self.exp_avg_sq[lo:hi]).view(param.shape)
            st["step"] = torch.from_numpy(self._step)

    def step(self, grads: Sequence[np.ndarray], *, max_grad_norm: float | None) -> float:
        """Clip the gradients' global norm to ``max_grad_norm`` (as ``clip_grad_norm_``), take
        one Adam step; returns the pre-clip norm."""
        group = self.optimizer.param_groups[0]
        lr, eps = float(group["lr"]), float(group["eps"])
        beta1, beta2 = (float(b) for b in group["betas"])
        grad = np.concatenate([g.ravel() for g in grads])
        norm = math.sqrt(float(np.dot(grad, grad)))
        if max_grad_norm is not None:
            coef = max_grad_norm / (norm + 1e-6)
            if coef < 1.0:
                grad *= np.float32(coef)
        self._step += 1.0
        step = float(self._step)
        m, v = self.exp_avg, self.exp_avg_sq
        m += np.float32(1.0 - beta1) * (grad - m)
        v *= np.float32(beta2)
        v += np.float32(1.0 - beta2) * (grad * grad)
        denom = np.sqrt(v)
        denom /= np.float32(math.sqrt(1.0 - beta2**step))
        denom += np.float32(eps)
        update = m / denom
        update *= np.float32(lr / (1.0 - beta1**step))
        for view, lo, hi in zip(self._views, self._offsets, self._offsets[1:], strict=False):
            view -= update[lo:hi].reshape(view.shape)
        return norm
