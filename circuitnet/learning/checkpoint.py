"""Checkpoints: the trainer's state and the netlist it trains, in one .npz written atomically.

A checkpoint is self-contained: besides conductances, biases, optimizer state, epoch and
history it holds the text of the netlist, so `load_checkpoint` can rebuild the trained
circuit without the original file.
"""
from __future__ import annotations

import os
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import DataError
from ..model.circuit import Circuit
from .parameters import Parameters, circuit_with


@dataclass
class Checkpoint:
    """A loaded checkpoint: `state` (see Trainer.state) and the netlist's text and file name."""

    state: dict[str, np.ndarray]
    netlist: str
    source_file: str

    @property
    def epoch(self) -> int:
        """Number of completed epochs."""
        return int(self.state["epoch"])

    def parameters(self) -> Parameters:
        """The trained conductances and biases."""
        s = self.state
        return Parameters(list(s["resistors"]), np.array(s["conductances"]), list(s["sources"]),
                          np.array(s["biases"]))

    def circuit(self) -> Circuit:
        """The netlist's circuit carrying the trained values."""
        from ..netlist import parse_netlist

        return circuit_with(parse_netlist(self.netlist, self.source_file), self.parameters())


def save_checkpoint(path: str | os.PathLike, state: dict[str, np.ndarray], netlist: str,
                    source_file: str) -> None:
    """Write a checkpoint atomically: a temporary file in the same folder, then os.replace."""
    path = Path(path)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as f:
            np.savez(f, netlist=np.array(netlist), source_file=np.array(source_file), **state)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def load_checkpoint(path: str | os.PathLike) -> Checkpoint:
    """Read a checkpoint written by `save_checkpoint`; DataError when it is not one."""
    path = Path(path)
    try:
        with open(path, "rb") as handle:  # closed also when numpy fails half way
            data = np.load(handle, allow_pickle=False)
            if not isinstance(data, np.lib.npyio.NpzFile):
                raise DataError(f"{path}: not a circuitnet checkpoint (a single array, not an .npz archive)")
            with data:
                arrays = {key: data[key] for key in data.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as error:
        raise DataError(f"{path}: cannot read checkpoint: {error}") from None
    missing = {"netlist", "conductances", "biases", "resistors", "sources", "epoch"} - set(arrays)
    if missing:
        raise DataError(f"{path}: not a circuitnet checkpoint (missing {', '.join(sorted(missing))})")
    netlist, source_file = str(arrays.pop("netlist")), str(arrays.pop("source_file", path.name))
    return Checkpoint(arrays, netlist, source_file)
