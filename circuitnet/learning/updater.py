"""`Updater`: how a training step reaches the parameters, by the per-resistor rule or the
rank-batch products of a layered network.

Two kinds of step use it (`learner.Learner.step`):

- a contrast (`apply`): the optimizer's step on the gradient estimate, as
  (dE/dtheta(upper) - dE/dtheta(lower)) / scale, batch-averaged;
- a physical procedure (agnostic EP, continual EP): reads the batch-mean energy
  derivatives of one state (`slopes`) and the learning rates of the epoch (`rates`), and
  writes parameters directly (`assign`), or applies a contrast between two instants of a
  relaxation.

On a layered network (`fast_rule` given) every gradient is formed from rank-batch
products, never from per-example, per-resistor voltage drops (`layered_rule`).
"""
from __future__ import annotations

import numpy as np

from ..errors import ConvergenceError
from ..model.circuit import Bounds
from .contrast import Contrast
from .layered_rule import LayeredRule
from .optimizer import SGD
from .parameters import Parameters
from .rule import Pins, estimate_bias_gradient, estimate_gradient, mean_energy_derivatives, source_derivatives
from .simulator import Simulator


class Updater:
    """The parameters of one training run and the ways to change them.

    simulator: the states' door to the solvers (its values are the parameters' own when
    bound, `Simulator.bind`); params: the trainable conductances (siemens) and biases
    (amperes); pins: their pins in the simulator's states; fast_rule: the rank-batch rule
    of a layered network, or None (per-resistor rule); optimizer: learning rates, bounds,
    momentum.
    """

    def __init__(self, simulator: Simulator, params: Parameters, pins: Pins, fast_rule: LayeredRule | None,
                 optimizer: SGD):
        self.simulator = simulator
        self.params = params
        self.pins = pins
        self.fast_rule = fast_rule
        self.optimizer = optimizer

    @property
    def bounds(self) -> Bounds:
        """The conductance range of the trainable resistors, siemens."""
        return self.optimizer.bounds

    def rates(self, epoch: int) -> tuple[np.ndarray, np.ndarray]:
        """The learning rates at `epoch` (0-based) of each conductance (n_R,) and bias (n_I,)."""
        return self.optimizer.rates(epoch)

    def apply(self, contrast: Contrast, epoch: int) -> None:
        """The optimizer's step on the contrast's gradient estimate, at `epoch` (0-based).

        The simulator sees the new conductances at once when the parameters are bound, the
        new biases (and unbound conductances) after `sync`."""
        params = self.params
        if self.fast_rule is not None:
            if not (np.all(np.isfinite(contrast.upper)) and np.all(np.isfinite(contrast.lower))):
                _not_finite(epoch)
            grads = self.fast_rule.gradients(contrast, params.conductances.dtype)
            grad_b = estimate_bias_gradient(self.pins, contrast)
            with self.simulator.editing(params) as conductance:
                sums = self.optimizer.step_layered(conductance, self.fast_rule.blocks, grads, params, grad_b, epoch)
                for block, rows, cols in sums:
                    self.simulator.values.record_block_sums(block.where, block.shape, rows, cols)
        else:
            grad_g, grad_b = estimate_gradient(self.pins, contrast)
            if not (np.all(np.isfinite(grad_g)) and np.all(np.isfinite(grad_b))):
                _not_finite(epoch)
            with self.simulator.editing(params):
                self.optimizer.step(params, grad_g, grad_b, epoch)

    def slopes(self, state: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Batch-mean dE/dg (n_R,), square volts, and dE/db (n_I,), volts, at a state (batch,
        n_nodes), float64: the conductances' by rank-batch products on the fast path."""
        if self.fast_rule is None:
            return mean_energy_derivatives(self.pins, state)
        return self.fast_rule.mean_derivatives(state), source_derivatives(self.pins, state).mean(axis=0)

    def assign(self, conductances: np.ndarray, biases: np.ndarray, epoch: int) -> None:
        """Set the parameters, siemens (n_R,) and amperes (n_I,), and hand them to the
        simulator; ConvergenceError when they are not finite (diverging states)."""
        if not (np.all(np.isfinite(conductances)) and np.all(np.isfinite(biases))):
            _not_finite(epoch)
        params = self.params
        with self.simulator.editing(params):
            params.conductances[:] = conductances
        params.biases[:] = biases
        self.sync()

    def sync(self) -> None:
        """Hand the current parameters to the simulator (`Simulator.set_parameters`)."""
        self.simulator.set_parameters(self.params)


def _not_finite(epoch: int):
    raise ConvergenceError(f"epoch {epoch + 1}: the gradient estimate is not finite "
                           "(diverging states; try a smaller learning rate or beta)")
