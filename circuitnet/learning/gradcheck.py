"""The true gradient of the loss, computed independently of EP, and the algorithms' errors against it.

The loss is C = mean over the batch of 1/2 sum_o (v_o - y_o)^2 at the free state.

`implicit_gradient` differentiates the KKT system on the active set: at a solution, the
active ideal diodes (v_a - v_c = vf) and the voltage sources are equality constraints
A v = c, and the free state solves [[L, A^T], [A, 0]] [v; mu] = [J; c] with L the
resistor Laplacian. One adjoint solve K [lam; nu] = [dC/dv; 0] then gives, for a resistor
k between a and b, dC/dg_k = -(lam_a - lam_b)(v_a - v_b), and for a source `I p m b`,
dC/db = lam_m - lam_p. Circuits with VCVS or Shockley diodes are not covered there;
`finite_difference_gradient` (central differences, any circuit) is.

A contrast algorithm's estimate is its contrast's. A physical procedure's (agnostic EP,
continual EP) is what one training step does: at learning rate lr = rate * beta (agnostic
EP's eps = rate, continual EP's eta = rate * beta), the change of every parameter
over -lr, theta the control variable of its device (`devices.py`), compared with the true
dC/dtheta = f'(theta) dC/dg. The step runs with the conductance range lifted, so that no
parameter is clipped (a clipped change says nothing about the gradient).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from numbers import Integral, Real

import numpy as np
import scipy.linalg

from ..datasets import Dataset
from ..errors import CircuitValidationError, ConvergenceError, DataError
from ..model.circuit import GROUND, Bounds, Circuit
from .algorithms import ALGORITHMS, Algorithm, get_algorithm
from .config import TrainingConfig
from .devices import device_of
from .parameters import Parameters, circuit_with
from .rule import Pins, estimate_gradient
from .simulator import Simulator, SolverSettings
from .trainer import Trainer, class_count, target_voltages

#: Solver tolerance of every state computed here, volts relative.
TIGHT_TOL = 1e-13
#: A physical procedure's rate here: agnostic EP's eps, continual EP's eta / beta.
RATE = 1e-8
#: The conductance range of a physical procedure's step here, siemens: nothing is clipped.
LIFTED = Bounds(1e-300, 1e300)


def loss(sim: Simulator, state: np.ndarray, targets: np.ndarray) -> float:
    """Mean over the batch of 1/2 sum_o (v_o - y_o)^2."""
    return 0.5 * float(np.mean(np.sum((sim.outputs(state) - targets) ** 2, axis=1)))


def _simulator(circuit: Circuit, params: Parameters, solver: str) -> Simulator:
    sim = Simulator(circuit, SolverSettings(solver=solver, tol=TIGHT_TOL))
    sim.set_parameters(params)
    return sim


def implicit_gradient(circuit: Circuit, params: Parameters, x: np.ndarray, targets: np.ndarray,
                      solver: str = "cd") -> tuple[np.ndarray, np.ndarray]:
    """dC/dg (n_R,) and dC/db (n_I,) by implicit differentiation of the KKT system."""
    if any(True for _ in circuit.of_kind("E")) or any(not circuit.is_ideal(d) for d in circuit.of_kind("D")):
        raise CircuitValidationError("implicit differentiation covers resistors, ideal diodes and "
                                     "independent sources; use finite_difference_gradient")
    sim = _simulator(circuit, params, solver)
    states = sim.free(x)
    pins = Pins.of(circuit, params, sim.nodes)
    grad_g, grad_b = np.zeros(len(params.resistors)), np.zeros(len(params.sources))
    for state, target in zip(states, targets):
        lam = _adjoint(circuit, params, sim, state, target)
        v = np.append(state, 0.0)
        grad_g -= (lam[pins.resistor_a] - lam[pins.resistor_b]) * (v[pins.resistor_a] - v[pins.resistor_b])
        grad_b += lam[pins.source_minus] - lam[pins.source_plus]
    return grad_g / len(states), grad_b / len(states)


def _adjoint(circuit: Circuit, params: Parameters, sim: Simulator, state: np.ndarray,
             target: np.ndarray) -> np.ndarray:
    """lam (n_nodes + 1,), ground last and zero, from the KKT matrix at `state`."""
    n = len(sim.nodes)
    index = {node: k for k, node in enumerate(sim.nodes)}
    index[GROUND] = n
    conductance = dict(zip(params.resistors, params.conductances))
    laplacian = np.zeros((n + 1, n + 1))
    for r in circuit.of_kind("R"):
        a, b = (index[p] for p in r.nodes)
        g = conductance.get(r.name, 1.0 / r.value)
        laplacian[[a, b, a, b], [a, b, b, a]] += [g, g, -g, -g]
    v = np.append(state, 0.0)
    scale = max(1.0, float(np.abs(v).max()))
    rows = [(index[e.nodes[0]], index[e.nodes[1]]) for e in circuit.of_kind("V")]
    rows += [(index[d.nodes[0]], index[d.nodes[1]]) for d in circuit.of_kind("D")
             if abs(v[index[d.nodes[0]]] - v[index[d.nodes[1]]] - circuit.models[d.model].vf) < 1e-9 * scale]
    constraints = np.zeros((len(rows), n + 1))
    for k, (p, m) in enumerate(rows):
        constraints[k, p] += 1.0
        constraints[k, m] -= 1.0
    kkt = np.block([[laplacian[:n, :n], constraints[:, :n].T], [constraints[:, :n], np.zeros((len(rows),) * 2)]])
    rhs = np.zeros(n + len(rows))
    rhs[sim.output_index] = state[sim.output_index] - target
    try:
        solution = scipy.linalg.solve(kkt, rhs, assume_a="sym")
    except (scipy.linalg.LinAlgError, ValueError):
        solution = np.linalg.lstsq(kkt, rhs, rcond=None)[0]
    return np.append(solution[:n], 0.0)


def finite_difference_gradient(circuit: Circuit, params: Parameters, x: np.ndarray, targets: np.ndarray,
                               step: float = 1e-5, solver: str = "cd") -> tuple[np.ndarray, np.ndarray]:
    """dC/dg and dC/db by central differences: relative step for g, absolute (amperes) for b."""
    sim = _simulator(circuit, params, solver)

    def loss_at(p: Parameters) -> float:
        sim.set_parameters(p)
        return loss(sim, sim.free(x), targets)

    def derivative(array: str, k: int) -> float:
        up, down = params.copy(), params.copy()
        h = step * (params.conductances[k] if array == "conductances" else 1.0)
        getattr(up, array)[k] += h
        getattr(down, array)[k] -= h
        return (loss_at(up) - loss_at(down)) / (2 * h)

    return (np.array([derivative("conductances", k) for k in range(len(params.resistors))]),
            np.array([derivative("biases", k) for k in range(len(params.sources))]))


def estimate(circuit: Circuit, params: Parameters, x: np.ndarray, targets: np.ndarray, algorithm: str,
             beta: float, solver: str = "cd", rate: float = RATE, **settings) -> tuple[np.ndarray, np.ndarray]:
    """An algorithm's gradient estimate at tight solver tolerance: dC/dg (n_R,) and dC/db
    (n_I,); for a physical procedure dC/dtheta of its device's control and dC/db from one
    step (module docstring) at `rate`, with `settings` (TrainingConfig fields: mode, rounds,
    device, ...)."""
    if isinstance(get_algorithm(algorithm), Algorithm) and not settings:
        sim = _simulator(circuit, params, solver)
        free = sim.free(x)
        contrast = get_algorithm(algorithm).contrast(sim, x, targets, free, beta)
        return estimate_gradient(Pins.of(circuit, params, sim.nodes), contrast)
    lifted = circuit_with(circuit, params)
    lifted.bounds = LIFTED
    lr = rate * beta
    trainer = Trainer(lifted, _step_config(algorithm, beta, lr, solver, settings))
    device = device_of(trainer.config)
    theta, biases = device.control(trainer.params_.conductances), trainer.params_.biases.copy()
    trainer.update(x, targets, 0)
    return ((theta - device.control(trainer.params_.conductances)) / lr,
            (biases - trainer.params_.biases) / lr)


def _step_config(algorithm: str, beta: float, lr: float, solver: str, settings: dict) -> TrainingConfig:
    """One plain step at learning rate lr on the per-resistor rule, states at TIGHT_TOL."""
    return TrainingConfig(algorithm=algorithm, beta=beta, lr=lr, lr_decay=1.0, momentum=0.0, tol=TIGHT_TOL,
                          solver=solver, rule="general", **settings)


def in_control(true: tuple[np.ndarray, np.ndarray], params: Parameters, algorithm: str,
               **settings) -> tuple[np.ndarray, np.ndarray]:
    """The true gradient (dC/dg, dC/db) as the estimates of `estimate(algorithm, **settings)`
    are: dC/dtheta = f'(theta) dC/dg for the device's control theta, dC/db unchanged."""
    if isinstance(get_algorithm(algorithm), Algorithm) and not settings:
        return true
    device = device_of(TrainingConfig(algorithm=algorithm, **settings))
    return device.derivative(device.control(params.conductances)) * true[0], true[1]


def relative_error(estimate_: tuple[np.ndarray, np.ndarray], true: tuple[np.ndarray, np.ndarray]) -> float:
    """||estimate - true|| / ||true|| over conductances and biases together."""
    a, b = np.concatenate(estimate_), np.concatenate(true)
    return float(np.linalg.norm(a - b) / np.linalg.norm(b))


@dataclass
class GradientReport:
    """Relative errors of each algorithm at each beta: errors[algorithm][k] at betas[k]."""

    betas: list[float]
    errors: dict[str, list[float]]
    method: str

    def to_dict(self) -> dict[str, dict[str, float | None]]:
        """{algorithm: {beta (as %g): relative error, or None where NaN}} (JSON-ready)."""
        return {name: {f"{b:g}": (None if np.isnan(e) else e) for b, e in zip(self.betas, errs)}
                for name, errs in self.errors.items()}

    def table(self) -> str:
        """A plain-text table, one row per algorithm."""
        width = max(10, *(len(name) + 1 for name in self.errors))
        head = f"{'algorithm':<{width}}" + "".join(f"{f'beta={b:g}':>14}" for b in self.betas)
        rows = [f"{name:<{width}}" + "".join(f"{e:14.3e}" for e in errs) for name, errs in self.errors.items()]
        return "\n".join([f"relative error against the true gradient ({self.method}); "
                          "nan: no steady state at this beta", head, *rows])


def check_betas(betas: list[float], rate: float = RATE) -> None:
    """CircuitValidationError unless every beta (siemens, or eta) and the rate are finite and > 0:
    a beta of 0, below 0, infinite or NaN has no steady state to estimate anything from."""
    for name, value in [*(("beta", b) for b in betas), ("rate", rate)]:
        if isinstance(value, bool) or not isinstance(value, Real) or not 0 < value < math.inf:
            raise CircuitValidationError(f"{name} must be a finite number > 0, got {value!r}")


def sample_batch(circuit: Circuit, data: Dataset, samples: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """`samples` distinct training examples of `data`, drawn with `seed`: their features
    (samples, n_features) and target voltages (samples, n_outputs), volts, as the Trainer
    sets them (`target_voltages`: one-hot, or the label itself for a single output)."""
    n_outputs = len(circuit.outputs)
    if data.n_classes > class_count(n_outputs):
        raise DataError(f"{data.name} has {data.n_classes} classes but {circuit.source_file} has {n_outputs} "
                        f"output(s), which tell apart {class_count(n_outputs)}")
    if isinstance(samples, bool) or not isinstance(samples, Integral) or not 1 <= samples <= len(data.x_train):
        raise CircuitValidationError(f"samples must be an integer from 1 to the {len(data.x_train)} training "
                                     f"examples of {data.name}, got {samples!r}")
    if isinstance(seed, bool) or not isinstance(seed, Integral) or seed < 0:
        raise CircuitValidationError(f"seed must be an integer >= 0, got {seed!r}")
    pick = np.random.default_rng(seed).choice(len(data.x_train), size=samples, replace=False)
    return data.x_train[pick], target_voltages(data.y_train[pick], n_outputs)


def gradient_check(circuit: Circuit, x: np.ndarray, targets: np.ndarray, betas: list[float],
                   algorithms: list[str] | None = None, params: Parameters | None = None,
                   solver: str = "cd", rate: float = RATE) -> GradientReport:
    """Compare every algorithm's estimate with the true gradient (implicit when possible);
    the physical procedures in their default modes at `rate` (see `estimate`). Every beta
    and the rate must be finite and > 0 (`check_betas`)."""
    check_betas(betas, rate)
    params = params or Parameters.from_circuit(circuit)
    try:
        true, method = implicit_gradient(circuit, params, x, targets, solver), "implicit differentiation"
    except CircuitValidationError:
        true, method = finite_difference_gradient(circuit, params, x, targets, solver=solver), "finite differences"
    errors = {}
    for algorithm in algorithms or list(ALGORITHMS):
        errors[algorithm] = [_error_or_nan(circuit, params, x, targets, algorithm, b, solver, rate, true)
                             for b in betas]
    return GradientReport(list(betas), errors, method)


def _error_or_nan(circuit, params, x, targets, algorithm, beta, solver, rate, true) -> float:
    """The relative error, or NaN where the algorithm cannot run at this beta (no steady state, eta > 1)."""
    try:
        return relative_error(estimate(circuit, params, x, targets, algorithm, beta, solver, rate),
                              in_control(true, params, algorithm))
    except (ConvergenceError, CircuitValidationError):
        return float("nan")
