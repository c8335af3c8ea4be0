"""circuitnet: fast exact simulation and training of nonlinear resistive networks."""
from importlib.metadata import PackageNotFoundError, version

from .circuit import Bounds as Bounds, Circuit as Circuit, InputSpec as InputSpec
from .elements import DiodeModel as DiodeModel, Element as Element, ELEMENT_KINDS as ELEMENT_KINDS
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

try:
    __version__ = version("circuitnet")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"
