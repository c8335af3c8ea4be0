"""The devices that hold trainable parameters, for agnostic EP: g = f(theta) and a hidden energy.

A trainable conductance is a device whose control variable theta (the parameter that
relaxes) sets its conductance g = f(theta), siemens. Its energy, as a function of theta
for a circuit state whose batch-mean dE/dg is D (square volts, `Updater.slopes`), is

    E(theta) = f(theta) D + k/2 (theta - rest)^2        [watts]

where the second term is the device's own (hidden) energy, a spring of stiffness k
towards its rest point; agnostic EP's integral controller never reads f or k
(`homeostasis.py`). Every method works elementwise on arrays (n,) of float64.

- `LinearDevice`: g = theta (siemens); rest = REFERENCE_CONDUCTANCE; k in watts per S^2.
- `ExponentialDevice`: g = g_ref exp(theta / scale), as a subthreshold transistor's gate
  voltage or a memristor's state sets its conductance; theta in the units of `scale`
  (volts for a gate), rest at theta = 0 (g = g_ref); k in watts per unit of theta squared.

`relax(u, D, eps)` is the device at equilibrium under a knob u coupled to it by
(theta - u)^2 / (2 eps): argmin over theta of E(theta) + (theta - u)^2 / (2 eps), unique
because E is convex (D >= 0) and the coupling strictly so. The range stop (`range`) is
the caller's: clipping the minimiser of a convex function of one variable to an interval
gives the minimiser over the interval.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..model.circuit import Bounds
from .device_kernels import relax_exponential

if TYPE_CHECKING:
    from .config import TrainingConfig

#: the rest point of the hidden energy (linear device) and g_ref (exponential device), siemens
REFERENCE_CONDUCTANCE = 1e-3


class Device(ABC):
    """g = f(theta) and a hidden energy k/2 (theta - rest)^2; subclasses are frozen dataclasses
    with a `stiffness` k >= 0."""

    stiffness: float
    rest: float

    @abstractmethod
    def conductance(self, theta: np.ndarray) -> np.ndarray:
        """g = f(theta), siemens."""

    @abstractmethod
    def control(self, conductance: np.ndarray) -> np.ndarray:
        """theta = f^-1(g): a new float64 array."""

    @abstractmethod
    def derivative(self, theta: np.ndarray) -> np.ndarray:
        """f'(theta), siemens per unit of theta."""

    @abstractmethod
    def relax(self, knobs: np.ndarray, slopes: np.ndarray, eps: np.ndarray) -> np.ndarray:
        """argmin over theta of f(theta) D + k/2 (theta - rest)^2 + (theta - u)^2 / (2 eps) for
        knobs u, slopes D = dE/dg >= 0 (square volts) and couplings eps >= 0, each (n,)."""

    def slope(self, theta: np.ndarray, slopes: np.ndarray) -> np.ndarray:
        """dE/dtheta = f'(theta) D + k (theta - rest), for D = dE/dg (n,)."""
        return self.derivative(theta) * slopes + self.stiffness * (theta - self.rest)

    def range(self, bounds: Bounds) -> tuple[float, float]:
        """The control range that keeps g within the bounds, (lo, hi)."""
        lo, hi = self.control(np.array([bounds.gmin, bounds.gmax]))
        return float(lo), float(hi)


@dataclass(frozen=True)
class LinearDevice(Device):
    """g = theta, siemens; hidden energy k/2 (g - rest)^2 (k >= 0, watts per S^2)."""

    stiffness: float = 0.0
    rest: float = REFERENCE_CONDUCTANCE

    def conductance(self, theta: np.ndarray) -> np.ndarray:
        """g = theta."""
        return theta

    def control(self, conductance: np.ndarray) -> np.ndarray:
        """theta = g, as a float64 copy."""
        return np.array(conductance, dtype=np.float64)

    def derivative(self, theta: np.ndarray) -> np.ndarray:
        """f' = 1."""
        return np.ones_like(theta)

    def relax(self, knobs: np.ndarray, slopes: np.ndarray, eps: np.ndarray) -> np.ndarray:
        """theta = (u - eps (D - k rest)) / (1 + eps k): E is linear plus a parabola."""
        k = self.stiffness
        return knobs - eps * slopes if k == 0 else (knobs - eps * (slopes - k * self.rest)) / (1.0 + eps * k)


@dataclass(frozen=True)
class ExponentialDevice(Device):
    """g = g_ref exp(theta / scale); hidden energy k/2 theta^2 (rest at theta = 0).

    scale: units of theta per e-fold of conductance (> 0); g_ref: siemens (> 0).
    """

    scale: float = 0.1
    stiffness: float = 0.0
    g_ref: float = REFERENCE_CONDUCTANCE
    rest = 0.0

    def conductance(self, theta: np.ndarray) -> np.ndarray:
        """g = g_ref exp(theta / scale)."""
        return self.g_ref * np.exp(theta / self.scale)

    def control(self, conductance: np.ndarray) -> np.ndarray:
        """theta = scale ln(g / g_ref)."""
        return self.scale * np.log(np.asarray(conductance, dtype=np.float64) / self.g_ref)

    def derivative(self, theta: np.ndarray) -> np.ndarray:
        """f' = f / scale."""
        return self.conductance(theta) / self.scale

    def relax(self, knobs: np.ndarray, slopes: np.ndarray, eps: np.ndarray) -> np.ndarray:
        """The minimiser by bracketed Newton per element (`device_kernels.relax_exponential`)."""
        return relax_exponential(knobs, slopes, eps, self.g_ref, self.scale, self.stiffness)


#: device names (`TrainingConfig.device`)
DEVICES = ("linear", "exp")
#: the device of the bias currents: b = theta, amperes, no hidden energy, no range stop
BIAS_DEVICE = LinearDevice(rest=0.0)


def device_of(config: TrainingConfig) -> Device:
    """The device of a training run's conductances: `TrainingConfig.device`, with its
    `device_scale` (exponential: theta per e-fold) and `device_energy` (the stiffness k)."""
    if config.device == "linear":
        return LinearDevice(stiffness=config.device_energy)
    return ExponentialDevice(scale=config.device_scale, stiffness=config.device_energy)
