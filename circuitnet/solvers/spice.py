"""The `spice` reference solver: ngspice's operating point, in-process through PySpice.

The circuit is written by circuitnet's own writer (`write_netlist`, one writer, one
truth), loaded into ngspice's shared library once per batch, and each example is an
`alter` of the source values followed by `op`. Nudge and clamp conditions become
elements: a nudge is a resistor 1/beta ohms from the output node to a voltage source at
the target (a negative resistor for negative beta); a clamp is a voltage source to ground.

Currents are ngspice's own, read from the saved vectors the element kinds declare
(`ElementKind.spice_current`): `vname#branch` and `ename#branch` for voltage sources and
VCVS outputs, `@rname[i]` for resistors, `@dname[id]` for diodes (junction current
including ngspice's GMIN, the same as the series-RS current), and the source value for
current sources (no vector); elements open at DC (a K card) carry none. ngspice runs with
tight tolerances (`SPICE_OPTIONS`), so a Shockley circuit's operating point agrees with the
exact one to about 1e-10 V; the deck's own gmin, temp and tnom (`SPICE_OPTION_FIELDS`) are
passed with them (`options_of`), since they change the answer.

Inductors and capacitors are written with their inductance and capacitance, not the 0 V
and 0 A of their DC terms: ngspice's `.op` shorts and opens them itself, and a K card
coupling two inductors needs their inductances.

Ideal diodes have no SPICE counterpart: the writer gives ngspice a near-ideal Shockley
diode (see `circuitnet.netlist.writer`). Its forward drop at current I is
N*VT*ln(1 + I/IS) instead of vf, so spice answers differ from cd/qp by up to
`ideal_diode_bound` volts per conducting ideal diode (about 0.7 mV at 1 mA for vf = 0).

Memory: every `op` makes a new ngspice plot; plots are destroyed after each read and
the circuit is removed (`remcirc`) after each batch, so a long loop does not grow.
"""
from __future__ import annotations

import contextlib
import copy
import logging
import math
import time
import warnings

import numpy as np

from ..compile.conditions import Conditions
from ..errors import ConvergenceError, SolverUnavailableError
from ..model.circuit import SPICE_OPTION_FIELDS, Circuit
from ..model.elements import RESISTOR, VOLTAGE_SOURCE, Element, Term
from ..model.topology import GROUND
from . import DEFAULT_TOL
from .kirchhoff import branch_elements, kkt_residual
from .solution import Solution

INSTALL_HINT = ("the spice solver needs ngspice's shared library and PySpice: "
                "apt-get install ngspice libngspice0 libngspice0-dev and pip install PySpice")
#: ngspice's tolerances, written as `.options` into every netlist the spice solver loads
#: together with the circuit's `SPICE_OPTION_FIELDS` (`options_of`).
SPICE_OPTIONS = {"reltol": 1e-9, "abstol": 1e-15, "vntol": 1e-12, "itl1": 1000}

#: volts: spice and the exact solvers agree this well on circuits without ideal diodes.
SHOCKLEY_TOLERANCE = 1e-6

_SESSION = None


def solve_conditions(circuit: Circuit, conditions: Conditions, *, tol: float = DEFAULT_TOL,
                     max_sweeps: int = 100_000, warm_start: np.ndarray | None = None,
                     dtype: type = np.float64) -> Solution:
    """Operating points of every example of `conditions`, computed by ngspice.

    tol, max_sweeps, warm_start: unused (ngspice's own tolerances are `SPICE_OPTIONS`;
        `info["options"]` records every option ngspice ran with, `options_of`).
    dtype: dtype of the returned voltages.
    Returns a Solution with solver="spice"; raises SolverUnavailableError without
    ngspice/PySpice, ConvergenceError when ngspice finds no operating point.
    """
    circuit.validate()
    start = time.perf_counter()
    session = ngspice_session()
    spice_circuit, values = with_conditions(circuit, conditions)
    nodes = circuit.nodes
    vectors = [f"v({n})" if n != GROUND else "0" for n in nodes]
    current_vectors = {e.name: e.kind.current_vector(e.name) for e in branch_elements(circuit)}
    voltages = np.empty((conditions.batch, len(nodes)))
    currents = {name: np.empty(conditions.batch) for name in current_vectors}
    with session.loaded(netlist_text(spice_circuit)):
        session.save(vectors + [v for v in current_vectors.values() if v])
        loaded = {name: spice_circuit.elements[name].value for name in values}
        for b in range(conditions.batch):
            for name, column in values.items():
                if column[b] != loaded[name]:
                    session.command(f"alter {name} dc = {float(column[b])!r}")
                    loaded[name] = column[b]
            point = session.operating_point(b)
            voltages[b] = [point[v] for v in vectors]
            for name, vector in current_vectors.items():
                currents[name][b] = point[vector] if vector else conditions.sources[name][b]
    solution = Solution(nodes, voltages.astype(dtype), currents, "spice")
    solution.residual, solution.diode_violation = kkt_residual(circuit, solution, conditions)
    solution.seconds = time.perf_counter() - start
    solution.info = {"ngspice_version": session.version, "options": options_of(circuit)}
    return solution


def with_conditions(circuit: Circuit, conditions: Conditions) -> tuple[Circuit, dict[str, np.ndarray]]:
    """A copy of `circuit` with nudge and clamp as elements, and the values of its sources.

    Returns (circuit, {source name: values (batch,)}) for the sources an input can set;
    inductors and capacitors (`SourceTable.fixed`) keep their inductance and capacitance.
    Nudge targets and clamp values are the values of the added voltage sources
    `vnudge<k>` and `vclamp<k>`.
    """
    spice = copy.copy(circuit)
    spice.elements = dict(circuit.elements)
    values = {name: np.asarray(v, dtype=float) for name, v in conditions.sources.items()
              if name not in conditions.table.fixed}
    nudge, clamp = conditions.nudge, conditions.clamp
    if nudge is not None and nudge.beta != 0:
        for k, node in enumerate(nudge.nodes):
            spice.add(Element(f"rnudge{k}", RESISTOR, (node, f"nudge{k}"), 1.0 / nudge.beta))
            spice.add(Element(f"vnudge{k}", VOLTAGE_SOURCE, (f"nudge{k}", GROUND), 0.0))
            values[f"vnudge{k}"] = np.atleast_2d(nudge.targets)[:, k].astype(float)
    if clamp is not None:
        for k, node in enumerate(clamp.nodes):
            spice.add(Element(f"vclamp{k}", VOLTAGE_SOURCE, (node, GROUND), 0.0))
            values[f"vclamp{k}"] = np.atleast_2d(clamp.values)[:, k].astype(float)
    for name, column in values.items():  # the written netlist carries the first example
        spice.elements[name] = copy.copy(spice.elements[name])
        spice.elements[name].value = float(column[0])
    return spice, values


def options_of(circuit: Circuit) -> dict[str, float]:
    """Every `.options` value ngspice runs `circuit` with: `SPICE_OPTIONS` and the
    circuit's gmin (siemens), temp and tnom (degrees Celsius)."""
    return {**SPICE_OPTIONS, **{key: getattr(circuit, key) for key in SPICE_OPTION_FIELDS}}


def netlist_text(circuit: Circuit) -> str:
    """circuitnet's netlist of `circuit` with `options_of(circuit)` and no analysis card."""
    from ..netlist import write_netlist

    lines = write_netlist(circuit, analysis=None).rstrip("\n").split("\n")
    lines[0] = lines[0] or "circuitnet"  # PySpice drops empty lines: the title must not be empty
    options = " ".join(f"{key}={value!r}" for key, value in options_of(circuit).items())
    return "\n".join(lines[:-1] + [f".options {options}", lines[-1]]) + "\n"


def ideal_diode_bound(circuit: Circuit, exact: Solution) -> float:
    """How far spice's near-ideal diodes can move a node voltage from the exact answer, volts.

    exact: a solution of `circuit` by an exact solver; its largest element current I_max
    sets the current scale. In ngspice an ideal diode carrying current I drops
    d(I) = N*VT*ln(1 + I/IS) (the writer's stand-in model) instead of vf. Up to
    I_low = 0.1 uV / (sum of all resistances) the leak moves no node by more than 0.1 uV
    (the sum bounds every driving-point resistance); above it, the diode acts as an ideal
    one with its threshold moved to d(I), and in a resistive network a threshold error
    moves no node by more than its own size (voltage gains are at most 1). So each ideal
    diode contributes max(|d(2 I_max) - vf|, |vf - d(I_low)|), and the contributions add.
    For vf = 0 (IS=1e-15, N=1e-4) that is below 0.1 mV per diode up to 1 A; for vf > 0
    the stand-in's knee is soft (about 6 % of vf per decade), so the bound is a sizeable
    fraction of vf.
    """
    from ..netlist.writer import ideal_spice_params, spice_forward_drop

    low = 0.1 * SHOCKLEY_TOLERANCE / max(sum(r.value for r in circuit.with_term(Term.EDGE)), 1e-300)
    high = 2.0 * max((float(np.max(np.abs(i), initial=0.0)) for i in exact.currents.values()), default=0.0)
    total = 0.0
    for diode in circuit.with_term(Term.IDEAL_LIMIT):
        model = circuit.models[diode.model]
        params = model.params or ideal_spice_params(model.vf)
        total += max(abs(spice_forward_drop(params, max(high, low)) - model.vf),
                     abs(model.vf - spice_forward_drop(params, low)))
    return total


def agreement_tolerance(circuit: Circuit, exact: Solution, *, spice: bool = True) -> tuple[float, float]:
    """(volts, amperes): how closely spice (or, with spice=False, two exact solvers) agree.

    volts: SHOCKLEY_TOLERANCE plus `ideal_diode_bound` times the product of the VCVS gains
    (at least 1 each), which can amplify a diode's voltage error downstream.
    amperes: twice volts times the largest total conductance at a node (a current is a
    conductance times a difference of two node voltages).
    exact: the circuit's solution by an exact solver (see `ideal_diode_bound`).
    """
    gain = math.prod(max(1.0, abs(e.value)) for e in circuit.with_term(Term.CONTROLLED))
    volts = SHOCKLEY_TOLERANCE + (gain * ideal_diode_bound(circuit, exact) if spice else 0.0)
    conductance: dict[str, float] = {}
    for resistor in circuit.with_term(Term.EDGE):
        for node in resistor.nodes:
            conductance[node] = conductance.get(node, 0.0) + 1.0 / resistor.value
    return volts, 2.0 * volts * max(conductance.values(), default=1.0)


def ngspice_session() -> "NgspiceSession":
    """The process's ngspice session (created on first use)."""
    global _SESSION
    if _SESSION is None:
        _SESSION = NgspiceSession()
    return _SESSION


@contextlib.contextmanager
def _quiet():
    """Silence PySpice's logging (it logs every ngspice stderr note as an error) and warnings."""
    logger = logging.getLogger("PySpice")
    level = logger.level
    logger.setLevel(logging.CRITICAL + 1)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.setLevel(level)


class NgspiceSession:
    """ngspice's shared library in this process, through PySpice (shared mode).

    PySpice's `exec_command` raises on any ngspice stderr output, including harmless
    notes; `command` raises only for real errors (lines other than notes and warnings).
    """

    def __init__(self) -> None:
        with _quiet():
            try:
                from PySpice.Spice.NgSpice.Shared import NgSpiceCommandError, NgSpiceShared
                self._error = NgSpiceCommandError
                self._ng = NgSpiceShared.new_instance()
            except Exception as error:  # ImportError, OSError from dlopen, NameError from init
                raise SolverUnavailableError(f"{INSTALL_HINT} ({type(error).__name__}: {error})") from None
        self.version = f"ngspice-{self._ng.ngspice_version}"

    def command(self, command: str) -> str:
        """Run one ngspice command; returns its stdout, raises ConvergenceError on an error."""
        with _quiet():
            try:
                return self._ng.exec_command(command)
            except self._error:
                errors = [line for line in self._ng.stderr.splitlines()
                          if line.strip() and not line.lstrip().lower().startswith(("note", "warning"))]
                if errors or "error" in self._ng.stdout.lower():
                    raise ConvergenceError(f"ngspice: {command!r} failed: "
                                           + " / ".join(errors or [self._ng.stdout.strip()])) from None
                return self._ng.stdout

    @contextlib.contextmanager
    def loaded(self, text: str):
        """Load a netlist for the duration of the block, then free it (`remcirc`)."""
        with _quiet():
            try:
                self._ng.load_circuit(text)
            except Exception as error:
                self._free()
                raise ConvergenceError(f"ngspice rejected the netlist: {error} {self._ng.stdout}") from None
        try:
            yield self
        finally:
            self._free()

    def _free(self) -> None:
        with contextlib.suppress(ConvergenceError):
            self.command("destroy all")
            self.command("remcirc")

    def save(self, vectors: list[str]) -> None:
        """Ask ngspice to keep these vectors (voltages, branch and device currents) after `op`."""
        line = []
        for vector in vectors:
            if sum(len(v) + 1 for v in line) + len(vector) > 900:
                self.command("save " + " ".join(line))
                line = []
            line.append(vector)
        if line:
            self.command("save " + " ".join(line))

    def operating_point(self, example: int = 0) -> dict[str, float]:
        """Run `op`; returns {vector name (lower case): value} and destroys the plot."""
        self.command("op")
        with _quiet():
            plot_name = self._ng.last_plot
            if not plot_name.startswith("op"):
                raise ConvergenceError(f"ngspice found no operating point for example {example}: "
                                       f"{self._ng.stdout.strip()[-300:]}")
            plot = self._ng.plot(None, plot_name)
            values = {name.lower(): float(np.real(vector._data[0])) for name, vector in plot.items()}
        self.command("destroy all")
        for name in list(values):
            if not name.startswith(("v(", "@")) and "#" not in name:
                values[f"v({name})"] = values[name]
        if not all(math.isfinite(v) for v in values.values()):
            raise ConvergenceError(f"ngspice returned non-finite values for example {example}")
        return values
