"""Plain SGD with per-layer learning rates, per-epoch decay, optional momentum and clipping."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from ..errors import CircuitValidationError
from ..model.circuit import Bounds
from ..solvers.dense_kernels import rank_update_clip
from .parameters import Parameters


def per_layer(rate: float | Sequence[float], layers: np.ndarray, what: str) -> np.ndarray:
    """Learning rate of each parameter from a scalar or one value per layer."""
    rates = np.atleast_1d(np.asarray(rate, dtype=float))
    n_layers = int(layers.max()) + 1 if layers.size else 1
    if rates.size == 1:
        return np.full(layers.shape, rates[0])
    if rates.size != n_layers:
        raise CircuitValidationError(f"{rates.size} {what} learning rates given for a network of {n_layers} layers")
    return rates[layers]


@dataclass
class SGD:
    """g <- clip(g - lr * (grad + momentum terms), gmin, gmax); b <- b - lr_b * grad_b.

    lr_g, lr_b: base learning rate of each conductance (n_R,) and bias (n_I,).
    lr_decay: multiplies the learning rates once per epoch (rate at epoch e = base * decay**e).
    momentum: heavy-ball coefficient in [0, 1) (checked by `TrainingConfig`).
    velocity_g, velocity_b: the momentum buffers (part of the checkpointed state).
    """

    lr_g: np.ndarray
    lr_b: np.ndarray
    bounds: Bounds
    lr_decay: float = 1.0
    momentum: float = 0.0
    velocity_g: np.ndarray = field(default=None)
    velocity_b: np.ndarray = field(default=None)

    def __post_init__(self):
        if self.velocity_g is None:
            self.velocity_g = np.zeros_like(self.lr_g)
            self.velocity_b = np.zeros_like(self.lr_b)

    def rates(self, epoch: int) -> tuple[np.ndarray, np.ndarray]:
        """The learning rates at epoch `epoch` (0-based): conductances' (n_R,) and biases' (n_I,)."""
        factor = self.lr_decay ** epoch
        return factor * self.lr_g, factor * self.lr_b

    def step(self, params: Parameters, grad_g: np.ndarray, grad_b: np.ndarray, epoch: int) -> None:
        """Update `params` in place with the gradients (n_R,), (n_I,) at epoch `epoch` (0-based)."""
        lr_g, lr_b = self.rates(epoch)
        self.velocity_g = self.momentum * self.velocity_g + grad_g
        self.velocity_b = self.momentum * self.velocity_b + grad_b
        g = params.conductances - lr_g * self.velocity_g
        np.clip(g, self.bounds.gmin, self.bounds.gmax, out=params.conductances)
        params.biases -= lr_b * self.velocity_b

    def step_layered(self, conductance: np.ndarray, blocks: list, grads: list, params: Parameters,
                     grad_b: np.ndarray, epoch: int) -> list[tuple]:
        """The same update on the fast path: each weight matrix (a view of the writable compiled
        `conductance`, `LayeredRule.blocks`) gets its LowRank gradient and the clip in place,
        one pass each (`rank_update_clip`; with momentum, through the matching view of the
        velocity buffer); then the biases as in `step`. params.conductances is a view of
        `conductance`. Returns (block, row sums, column sums) of the new weight matrices the
        update pass summed (all of them without momentum), siemens."""
        factor = self.lr_decay ** epoch
        sums = []
        for block, grad in zip(blocks, grads):
            weights = block.matrix(conductance)
            rate = self._block_rate(block.where)
            if self.momentum == 0.0 and np.ndim(rate) == 0:
                sums.append((block, *rank_update_clip(weights, -factor * rate / grad.scale, grad.p, grad.q,
                                                      self.bounds.gmin, self.bounds.gmax)))
                continue
            velocity = self.velocity_g[block.where].reshape(block.shape)
            velocity *= self.momentum
            velocity += grad.dense()
            rate = rate if np.ndim(rate) == 0 else rate.reshape(block.shape)
            weights -= (factor * rate * velocity).astype(weights.dtype, copy=False)
            np.clip(weights, self.bounds.gmin, self.bounds.gmax, out=weights)
        self.velocity_b = self.momentum * self.velocity_b + grad_b
        params.biases -= factor * self.lr_b * self.velocity_b
        return sums

    def _block_rate(self, where: slice) -> float | np.ndarray:
        """The learning rate of a block of conductances: a float when uniform (cached)."""
        cache = self.__dict__.setdefault("_rates", {})
        key = (where.start, where.stop)
        if key not in cache:
            rates = self.lr_g[where]
            cache[key] = float(rates[0]) if rates.size and np.all(rates == rates[0]) else rates
        return cache[key]

    def state(self) -> dict[str, np.ndarray]:
        """The state to checkpoint (momentum buffers)."""
        return {"velocity_g": self.velocity_g.copy(), "velocity_b": self.velocity_b.copy()}

    def load_state(self, state: dict[str, np.ndarray]) -> None:
        """Restore a state from `state()`."""
        self.velocity_g = np.array(state["velocity_g"], dtype=float)
        self.velocity_b = np.array(state["velocity_b"], dtype=float)

