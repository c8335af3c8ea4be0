"""The exception hierarchy: every error circuitnet raises derives from CircuitError."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Location:
    """Where a card came from: file name, 1-based line number and the card's text."""

    file: str
    line: int
    card: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.card.strip()!r}"


class CircuitError(Exception):
    """Base class of all circuitnet errors; `location` names the card when known."""

    def __init__(self, message: str, location: Location | None = None):
        self.message = message
        self.location = location
        super().__init__(f"{location}: {message}" if location else message)


class NetlistSyntaxError(CircuitError):
    """A card could not be read: malformed, unknown or unsupported."""


class CircuitValidationError(CircuitError):
    """The circuit is well formed but not solvable: floating nodes, source loops, bad values."""


class InfeasibleCircuitError(CircuitError):
    """The ideal-diode constraints cannot all hold."""


class ConvergenceError(CircuitError):
    """A solver stopped before reaching its tolerance."""


class SolverUnavailableError(CircuitError):
    """An optional backend (cvxpy, PySpice, ngspice) is missing; the message says what to install."""


class DataError(CircuitError):
    """A dataset is malformed or does not match the circuit."""
