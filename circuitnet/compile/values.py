"""The values a compiled circuit is solved with: conductances and source values.

`circuit.compile()` gives tables that never change (topology, element tables, the sweep
plan). What does change between solves (training updates, sweeps over a parameter, edits
by hand) lives in a `CircuitValues` that the caller owns and passes to `solve`, which
hands the same object to every solver (cd, qp, spice): an edit reaches all of them and
no solver reads values from anywhere else.

The arrays are read-only except through the editing methods, and every edit increments
`version`; data derived from the values (weight matrices in the working dtype, weight
sums, the input layer's projection) is cached under `key`, (serial, version), which
therefore cannot go stale.
"""
from __future__ import annotations

import itertools
from contextlib import contextmanager
from typing import Iterator

import numpy as np

from ..errors import DataError

_SERIALS = itertools.count()


class CircuitValues:
    """Conductances and source values of one compiled circuit.

    conductance: (n_res,) siemens, in the compiled resistor order (the circuit's resistors,
        then the series and GMIN resistors of Shockley diodes; `CompiledCircuit.res_names`).
    sources: (n_sources,) volts or amperes, in `CompiledCircuit.sources.names` order: the
        value a source takes where a solve's inputs do not set it.
    Make one with `CompiledCircuit.values()` (the netlist's values).
    """

    def __init__(self, conductance: np.ndarray, sources: np.ndarray, *, frozen: bool = False):
        conductance = np.asarray(conductance)
        _check_conductances(conductance)
        dtype = conductance.dtype if conductance.dtype in (np.float32, np.float64) else np.float64
        self._conductance = np.array(conductance, dtype=dtype)
        self._sources = finite_real(sources, "source values")
        for array in (self._conductance, self._sources):
            array.flags.writeable = False
        self._serial = next(_SERIALS)
        self._version = 0
        self._conductance_edits = 0  # block sums depend on the conductances only
        self._frozen = frozen
        self._recorded: dict | None = None
        self._block_sums: dict = {}

    @property
    def conductance(self) -> np.ndarray:
        """Conductances (n_res,), siemens; read-only (edit with `set_conductances` or `editing`)."""
        return self._conductance

    @property
    def sources(self) -> np.ndarray:
        """Source values (n_sources,), volts or amperes; read-only (edit with `set_sources`)."""
        return self._sources

    @property
    def version(self) -> int:
        """Incremented by every edit."""
        return self._version

    @property
    def key(self) -> tuple[int, int]:
        """(serial of this object, version): equal keys mean equal values."""
        return self._serial, self._version

    def copy(self) -> "CircuitValues":
        """An independent, editable copy."""
        return CircuitValues(self._conductance, self._sources)

    def set_conductances(self, values: np.ndarray, index: np.ndarray | slice = slice(None)) -> None:
        """Write conductances (siemens, finite and > 0) at `index` of `conductance`."""
        values = _check_conductances(values)
        _check_placement(values, self._conductance, index, "conductances")
        with self.editing() as conductance:
            conductance[index] = values

    def set_sources(self, values: np.ndarray, index: np.ndarray | slice = slice(None)) -> None:
        """Write source values (volts or amperes, finite) at `index` of `sources`."""
        values = finite_real(values, "source values")
        _check_placement(values, self._sources, index, "source values")
        self._check_editable()
        self._sources.flags.writeable = True
        try:
            self._sources[index] = values
        finally:
            self._sources.flags.writeable = False
        self._version += 1

    @contextmanager
    def editing(self) -> Iterator[np.ndarray]:
        """`conductance`, writable for the duration of a `with` block (in-place updates).

        On leaving the block the array is read-only again and `version` is incremented.
        Views taken of the array inside the block (weight matrices) must not be written
        after it.
        """
        self._check_editable()
        self._conductance.flags.writeable = True
        self._recorded = {}
        try:
            yield self._conductance
        finally:
            self._conductance.flags.writeable = False
            self._version += 1
            self._conductance_edits += 1
            recorded, self._recorded = self._recorded, None
        self._block_sums = {key: (self._conductance_edits, sums) for key, sums in recorded.items()}

    def use_dtype(self, dtype) -> None:
        """Store `conductance` in `dtype` (float32 halves the memory dense blocks stream)."""
        dtype = np.dtype(dtype)
        if self._conductance.dtype != dtype:
            self._check_editable()
            self._conductance = self._conductance.astype(dtype)
            self._conductance.flags.writeable = False
            self._version += 1
            self._conductance_edits += 1

    def record_block_sums(self, block: slice, shape: tuple[int, int], rows: np.ndarray, cols: np.ndarray) -> None:
        """Inside `editing`: the row sums (shape[0],) and column sums (shape[1],), siemens,
        of `conductance[block]` as a `shape` matrix after this edit, when the editor found
        them in its own pass over the block (optional: `block_sums` computes them otherwise)."""
        if self._recorded is None:
            raise RuntimeError("record_block_sums is only meaningful inside editing()")
        self._recorded[block.start, block.stop, tuple(shape)] = (rows, cols)

    def block_sums(self, block: slice, shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
        """Row sums (shape[0],) and column sums (shape[1],), siemens, of `conductance[block]`
        seen as a `shape` matrix: those recorded by the last edit of the conductances, else
        computed (and kept until the conductances change)."""
        key = (block.start, block.stop, tuple(shape))
        known = self._block_sums.get(key)
        if known is None or known[0] != self._conductance_edits:
            matrix = self._conductance[block].reshape(shape)
            known = self._block_sums[key] = (self._conductance_edits,
                                             (matrix.sum(axis=1), matrix.sum(axis=0)))
        return known[1]

    def _check_editable(self) -> None:
        if self._frozen:
            raise ValueError("these are the netlist's values, shared by every solve without values=; "
                             "edit a copy of your own: values = compiled.values()")


def _check_conductances(values) -> np.ndarray:
    """`values` as a float64 array, or DataError unless they are finite, real and > 0 siemens."""
    values = finite_real(values, "conductances")
    if np.any(values <= 0.0):
        raise DataError("conductances must be > 0 siemens (a resistor of 0 S or less has no resistance)")
    return values


def _check_placement(values: np.ndarray, target: np.ndarray, index, what: str) -> None:
    """DataError unless `target[index] = values` writes every value to a place that exists."""
    try:
        places = np.empty(target.shape, dtype=bool)[index]
    except IndexError as error:
        raise DataError(f"cannot write {what} at {index!r}: {error}") from None
    try:
        np.broadcast_to(values, places.shape)
    except ValueError:
        raise DataError(f"{values.size} {what} for {places.size} places (at {index!r} of "
                        f"{target.shape[0]}): give one value, or one per place") from None


def finite_real(values, what: str) -> np.ndarray:
    """`values` as a float64 array, or DataError naming `what` when they are not real
    numbers (complex, text, objects) or not finite (NaN, infinite)."""
    array = np.asarray(values)
    if array.dtype.kind not in "biuf":
        raise DataError(f"{what} must be real numbers, got {array.dtype} values"
                        + (" (the imaginary part would be dropped)" if array.dtype.kind == "c" else ""))
    array = array.astype(float)
    if not np.all(np.isfinite(array)):
        raise DataError(f"{what} must be finite, got NaN or infinite values")
    return array
