"""circuitnet: fast exact simulation and training of nonlinear resistive networks."""
from importlib.metadata import PackageNotFoundError, version

from .circuit import Bounds as Bounds, Circuit as Circuit, InputSpec as InputSpec
from .compiled import CompiledCircuit as CompiledCircuit
from .conditions import Clamp as Clamp, Nudge as Nudge
from .datasets import Dataset as Dataset, load_dataset as load_dataset
from .elements import ELEMENT_KINDS as ELEMENT_KINDS, DiodeModel as DiodeModel, Element as Element
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
from .learning import Trainer as Trainer
from .netlist import parse_netlist as parse_netlist, read_netlist as read_netlist, write_netlist as write_netlist
from .networks import build_drn as build_drn
from .solution import Solution as Solution
from .solvers import solve as solve

try:
    __version__ = version("circuitnet")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"
