"""circuitnet: fast exact simulation and training of nonlinear resistive networks.

The public names are listed below, grouped by the module that defines them. The light
modules (errors, model.elements, model.circuit) are imported at once; every other name is imported on
first access through the module-level `__getattr__` (PEP 562), so that `import circuitnet`
or `import circuitnet.netlist` does not pay for numba, scipy or cvxpy until a solver or the
trainer is actually used.
"""
from __future__ import annotations

import importlib
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

from .errors import (
    CircuitError as CircuitError,
    CircuitValidationError as CircuitValidationError,
    ConvergenceError as ConvergenceError,
    DataError as DataError,
    InfeasibleCircuitError as InfeasibleCircuitError,
    Location as Location,
    NetlistSyntaxError as NetlistSyntaxError,
    SolverUnavailableError as SolverUnavailableError,
)
from .model.circuit import Bounds as Bounds, Circuit as Circuit, InputSpec as InputSpec
from .model.elements import ELEMENT_KINDS as ELEMENT_KINDS, DiodeModel as DiodeModel, Element as Element

if TYPE_CHECKING:  # the lazy names below, spelled out for type checkers and IDEs
    from .compile.conditions import Clamp as Clamp, Nudge as Nudge
    from .compile.tables import CompiledCircuit as CompiledCircuit
    from .compile.values import CircuitValues as CircuitValues
    from .datasets import Dataset as Dataset, load_dataset as load_dataset
    from .learning import ALGORITHMS as ALGORITHMS, Trainer as Trainer, TrainingConfig as TrainingConfig
    from .netlist import parse_netlist as parse_netlist, read_netlist as read_netlist, write_netlist as write_netlist
    from .model.networks import build_drn as build_drn, default_input_gain as default_input_gain
    from .solvers import solve as solve
    from .solvers.solution import Solution as Solution

_EAGER: dict[str, tuple[str, ...]] = {
    "circuitnet.errors": (
        "CircuitError", "CircuitValidationError", "ConvergenceError", "DataError",
        "InfeasibleCircuitError", "Location", "NetlistSyntaxError", "SolverUnavailableError",
    ),
    "circuitnet.model.circuit": ("Bounds", "Circuit", "InputSpec"),
    "circuitnet.model.elements": ("ELEMENT_KINDS", "DiodeModel", "Element"),
}

#: module -> the public names it defines that are imported on first access
_LAZY: dict[str, tuple[str, ...]] = {
    "circuitnet.compile.conditions": ("Clamp", "Nudge"),
    "circuitnet.compile.tables": ("CompiledCircuit",),
    "circuitnet.compile.values": ("CircuitValues",),
    "circuitnet.datasets": ("Dataset", "load_dataset"),
    "circuitnet.learning": ("ALGORITHMS", "Trainer", "TrainingConfig"),
    "circuitnet.netlist": ("parse_netlist", "read_netlist", "write_netlist"),
    "circuitnet.model.networks": ("build_drn", "default_input_gain"),
    "circuitnet.solvers": ("solve",),
    "circuitnet.solvers.solution": ("Solution",),
}

#: public lazy name -> the module that defines it
_MODULE_OF: dict[str, str] = {name: module for module, names in _LAZY.items() for name in names}

__all__ = sorted([name for names in _EAGER.values() for name in names] + list(_MODULE_OF))

try:
    __version__ = version("circuitnet")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"


def __getattr__(name: str) -> Any:
    """Import the module behind a lazy public name on first access, and cache the value."""
    module_name = _MODULE_OF.get(name)
    if module_name is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module = importlib.import_module(module_name)
    try:
        value = getattr(module, name)
    except AttributeError:
        raise AttributeError(f"module {__name__!r} exports {name!r} from {module_name!r}, "
                             f"which does not define it") from None
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """The module's attributes, lazy public names included (for tab completion)."""
    return sorted(set(globals()) | set(__all__))
