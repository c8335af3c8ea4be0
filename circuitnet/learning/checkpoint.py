"""Checkpoints: the trainer's state and the netlist it trains, in one .npz written atomically
(`atomic_writer`, which the run directory's other files use too).

A checkpoint is self-contained: besides conductances, biases, optimizer state, epoch and
history it holds the text of the netlist, so `load_checkpoint` can rebuild the trained
circuit without the original file.
"""
from __future__ import annotations

import glob
import os
import secrets
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Iterator

import numpy as np

from ..errors import DataError
from ..model.circuit import Circuit
from .parameters import Parameters, circuit_with

#: How the temporary files of `atomic_writer` end.
TEMPORARY_SUFFIX = ".tmp"


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
    """Write a checkpoint atomically (`atomic_writer`)."""
    with atomic_writer(path) as f:
        np.savez(f, netlist=np.array(netlist), source_file=np.array(source_file), **state)


@contextmanager
def atomic_writer(path: str | os.PathLike) -> Iterator[BinaryIO]:
    """A binary file that replaces `path` when the block ends: written as `.NAME.RANDOM.tmp`
    in the same folder, synced, then renamed over `path` (os.replace), so that `path` is
    always whole. Its permissions are a new file's (0666 less the umask). On an error or an
    interrupt the temporary is removed and `path` left as it was; one that a killed
    process leaves behind is removed by `remove_temporaries`."""
    path = Path(path)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(6)}{TEMPORARY_SUFFIX}")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    try:
        with os.fdopen(os.open(temporary, flags, 0o666), "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def remove_temporaries(path: str | os.PathLike) -> None:
    """Delete the temporaries of `atomic_writer(path)` that a killed process left beside `path`."""
    path = Path(path)
    for orphan in path.parent.glob(f".{glob.escape(path.name)}.*{TEMPORARY_SUFFIX}"):
        orphan.unlink(missing_ok=True)


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
    except (OSError, ValueError, EOFError, RuntimeError, zipfile.BadZipFile) as error:
        # RuntimeError (NotImplementedError too): a damaged zip header naming encryption, an unknown version
        # or compression
        raise DataError(f"{path}: cannot read checkpoint: {error}") from None
    missing = {"netlist", "conductances", "biases", "resistors", "sources", "epoch"} - set(arrays)
    if missing:
        raise DataError(f"{path}: not a circuitnet checkpoint (missing {', '.join(sorted(missing))})")
    netlist, source_file = str(arrays.pop("netlist")), str(arrays.pop("source_file", path.name))
    return Checkpoint(arrays, netlist, source_file)
