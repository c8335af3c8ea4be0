"""`TrainingConfig`: every training setting, its default and its validation, in one place.

The `Trainer` takes one (plus overrides by field name), `circuitnet train` builds one from
its options (its defaults are these), and a run directory's config.json stores one
(`to_dict`, read back with `from_dict`).
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields, replace
from numbers import Integral, Real
from typing import Any, Callable, Mapping, Sequence, Union

from ..errors import CircuitValidationError
from ..solvers import SOLVERS
from .algorithms import ALGORITHMS, get_algorithm
from .devices import DEVICES
from .homeostasis import HOMEOSTASIS

#: The solver precisions and the learning rules a config may name.
DTYPES = ("float32", "float64")
RULES = ("auto", "general")
#: every algorithm's modes (`mode`), in registry order
MODES = tuple(dict.fromkeys(m for a in ALGORITHMS.values() for m in a.modes))
#: the fields only some algorithms read (`Learner.options`); the others need their defaults
ALGORITHM_OPTIONS = ("rounds", "device", "device_scale", "device_energy", "homeostasis")
#: A learning rate: one value, or one per layer (first layer first).
Rate = Union[float, Sequence[float]]


@dataclass(frozen=True)
class TrainingConfig:
    """The settings of a training run; the defaults are those that learn (centered EP).

    algorithm: a name of `algorithms.ALGORITHMS` (default "cep", centered EP).
    beta: nudging conductance, siemens, for EP (default 0.2); the coupling eta in (0, 1]
        for coupled learning; unused by contrastive learning ("cl", eta = 1).
    lr: learning rate, siemens per unit of gradient step (the loss is in volts squared), one
        value or one per layer (default 0.01). A one-element list becomes a float, longer
        ones tuples. Every rate >= 0 (0 freezes a layer), not all 0.
    bias_lr: the same for the bias currents, amperes per unit of gradient (default None:
        lr); here all rates may be 0 (fixed biases).
    lr_decay: learning rates are multiplied by this once per epoch, in (0, 1] (default 0.95).
    momentum: heavy-ball momentum in [0, 1) (default 0.5); agnostic-ep and continual-ep
        ignore it (their update is the relaxation itself: no gradient to accumulate).
    epochs: number of epochs, >= 0 (default 40).
    batch_size: examples per update, >= 1 (default 16).
    sweeps: fixed-sweep mode, cd solver sweeps per state, >= 1; None (default): tolerance
        mode with `tol`.
    tol: solver tolerance in tolerance mode, volts relative to the source range (default 1e-6).
    dtype: the solver's precision, "float64" (default) or "float32".
    seed: the example order of epoch e is a permutation drawn from (seed, e) (default 0).
    solver: "cd" (default), "auto", "newton", "qp" or "spice" (see `circuitnet.solve`).
    rule: "auto" (default: the rank-batch rule of `layered_rule` where the circuit is
        layered with its trainable resistors in build_drn order, else the per-resistor rule)
        or "general" (always the per-resistor rule; for tests and comparisons).
    blas_threads: BLAS threads during training steps: "auto" (default; see
        `Trainer.blas_threads`), an int >= 1, or None (leave the library's setting alone).
    mode: the algorithm's variant, one of its `modes` (None, the default: its first):
        agnostic-ep "centered", "optimistic" or "pessimistic"; continual-ep "positive" or
        "negative". The contrast algorithms have none.
    rounds: agnostic-ep, the clamped phase's alternations of circuit and parameter
        relaxation, >= 1 (default 1).
    device: agnostic-ep, the device of each trainable conductance, one of
        `devices.DEVICES`: "linear" (default, g = theta) or "exp" (g = 1 mS exp(theta / scale)).
    device_scale: agnostic-ep's "exp" device, theta per e-fold of conductance, > 0 (default
        0.1; volts for a transistor's gate).
    device_energy: agnostic-ep, the stiffness k >= 0 of the devices' hidden energy
        k/2 (theta - rest)^2 (default 0; watts per unit of theta squared).
    homeostasis: agnostic-ep, how the knobs are set, "formula" (default; reads the
        device's f and energy) or "controller" (an integral controller that reads theta only).
    progress: show a tqdm bar with the running loss and error (default False).
    """

    algorithm: str = "cep"
    beta: float = 0.2
    lr: Rate = 0.01
    bias_lr: Rate | None = None
    lr_decay: float = 0.95
    momentum: float = 0.5
    epochs: int = 40
    batch_size: int = 16
    sweeps: int | None = None
    tol: float = 1e-6
    dtype: str = "float64"
    seed: int = 0
    solver: str = "cd"
    rule: str = "auto"
    blas_threads: int | str | None = "auto"
    mode: str | None = None
    rounds: int = 1
    device: str = "linear"
    device_scale: float = 0.1
    device_energy: float = 0.0
    homeostasis: str = "formula"
    progress: bool = False

    def __post_init__(self):
        algorithm = get_algorithm(self.algorithm)
        algorithm.strength(self.beta)
        if self.mode is not None and self.mode not in algorithm.modes:
            modes = ", ".join(map(repr, algorithm.modes)) if algorithm.modes else "none"
            raise CircuitValidationError(f"mode must be one of {self.algorithm}'s modes ({modes}), got {self.mode!r}")
        object.__setattr__(self, "lr", _rates("lr", self.lr, may_all_be_zero=False))
        if self.bias_lr is not None:
            object.__setattr__(self, "bias_lr", _rates("bias_lr", self.bias_lr, may_all_be_zero=True))
        _number("lr_decay", self.lr_decay, "in (0, 1]", lambda v: 0 < v <= 1)
        _number("momentum", self.momentum, "in [0, 1)", lambda v: 0 <= v < 1)
        _integer("epochs", self.epochs, 0)
        _integer("batch_size", self.batch_size, 1)
        _integer("seed", self.seed, 0)
        if self.sweeps is not None:
            _integer("sweeps", self.sweeps, 1)
        _number("tol", self.tol, "positive", lambda v: 0 < v < math.inf)
        _choice("dtype", self.dtype, DTYPES)
        _choice("solver", self.solver, tuple(SOLVERS))
        _choice("rule", self.rule, RULES)
        if self.blas_threads not in ("auto", None):
            _integer("blas_threads", self.blas_threads, 1)
        if not isinstance(self.progress, bool):
            raise CircuitValidationError(f"progress must be True or False, got {self.progress!r}")
        _integer("rounds", self.rounds, 1)
        _choice("device", self.device, DEVICES)
        _number("device_scale", self.device_scale, "positive", lambda v: 0 < v < math.inf)
        _number("device_energy", self.device_energy, "a number >= 0", lambda v: 0 <= v < math.inf)
        _choice("homeostasis", self.homeostasis, tuple(HOMEOSTASIS))
        defaults = {f.name: f.default for f in fields(self)}
        for name in ALGORITHM_OPTIONS:
            if name not in algorithm.options and getattr(self, name) != defaults[name]:
                users = [a.name for a in ALGORITHMS.values() if name in a.options]
                raise CircuitValidationError(f"{name} is a setting of {', '.join(users)} only, not of "
                                             f"{self.algorithm}")
        algorithm.check(self)

    @classmethod
    def names(cls) -> tuple[str, ...]:
        """The field names, in declaration order."""
        return tuple(f.name for f in fields(cls))

    def with_overrides(self, **overrides: Any) -> "TrainingConfig":
        """A validated copy with the fields named in `overrides` changed; an unknown name
        raises CircuitValidationError listing the valid ones."""
        unknown = sorted(set(overrides) - set(self.names()))
        if unknown:
            raise CircuitValidationError(f"unknown training setting(s) {', '.join(unknown)}; "
                                         f"valid settings: {', '.join(self.names())}")
        return replace(self, **overrides) if overrides else self

    @classmethod
    def from_dict(cls, settings: Mapping[str, Any]) -> "TrainingConfig":
        """The defaults overridden by `settings` (e.g. config.json's, which may lack newer fields)."""
        return cls().with_overrides(**settings)

    def to_dict(self) -> dict[str, Any]:
        """Every field, JSON-ready (per-layer rates as lists)."""
        return {key: list(value) if isinstance(value, tuple) else value for key, value in asdict(self).items()}


def _rates(name: str, rate: Rate, may_all_be_zero: bool) -> float | tuple[float, ...]:
    """A float for one rate, a tuple for several; each finite and >= 0."""
    values = [rate] if isinstance(rate, Real) else list(rate)
    if not values or not all(isinstance(v, Real) and math.isfinite(v) and v >= 0 for v in values) \
            or not (may_all_be_zero or any(v > 0 for v in values)):
        least = ">= 0" if may_all_be_zero else "> 0"
        raise CircuitValidationError(f"{name} must be a number {least}, or one number >= 0 per layer"
                                     f"{'' if may_all_be_zero else ' (not all 0)'}, got {rate!r}")
    return float(values[0]) if len(values) == 1 else tuple(float(v) for v in values)


def _number(name: str, value: Any, wanted: str, ok: Callable[[Real], bool]) -> None:
    if isinstance(value, bool) or not isinstance(value, Real) or not ok(value):
        raise CircuitValidationError(f"{name} must be {wanted}, got {value!r}")


def _integer(name: str, value: Any, minimum: int) -> None:
    _number(name, value, f"an integer >= {minimum}", lambda v: isinstance(v, Integral) and v >= minimum)


def _choice(name: str, value: Any, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise CircuitValidationError(f"{name} must be one of {', '.join(map(repr, choices))}, got {value!r}")
