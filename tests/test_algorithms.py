"""The registry of learning algorithms: each entry's contrast, checked against direct solves;
the registry's completeness; and an algorithm added by one entry, without other code."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

import circuitnet
from circuitnet.cli import build_parser
from circuitnet.compile.conditions import Clamp, Nudge
from circuitnet.errors import CircuitValidationError
from circuitnet.learning.algorithms import (ALGORITHMS, FREE, NUDGED_DOWN, NUDGED_UP, Algorithm, Coupled,
                                            Phase, get_algorithm)
from circuitnet.learning.config import TrainingConfig
from circuitnet.learning.parameters import Parameters
from circuitnet.learning.simulator import Simulator, SolverSettings
from circuitnet.learning.trainer import Trainer
from circuitnet.model.networks import build_drn

TOL = 1e-12

#: The table of docs/design.md section 4.2, written out independently of the registry: name ->
#: (upper, lower, scale as a function of beta); a state is ("free",), ("nudge", sign)
#: (outputs nudged by conductance sign * beta towards the targets), ("couple", sign)
#: (clamped to v + sign * beta (y - v)) or ("targets",) (clamped to the targets).
EXPECTED = {
    "pep": (("nudge", 1.0), ("free",), lambda beta: beta),
    "nep": (("free",), ("nudge", -1.0), lambda beta: beta),
    "cep": (("nudge", 1.0), ("nudge", -1.0), lambda beta: 2 * beta),
    "cl": (("targets",), ("free",), lambda beta: 1.0),
    "pcpl": (("couple", 1.0), ("free",), lambda beta: beta),
    "ncpl": (("free",), ("couple", -1.0), lambda beta: beta),
    "ccpl": (("couple", 1.0), ("couple", -1.0), lambda beta: 2 * beta),
    # the physical procedures in their default modes: what their update estimates as lr -> 0
    "agnostic-ep": (("nudge", 0.5), ("nudge", -0.5), lambda beta: beta),
    "continual-ep": (("nudge", 1.0), ("free",), lambda beta: beta),
}
#: The physical procedures (entries that are not contrasts): name -> modes, default first.
PHYSICAL = {"agnostic-ep": ("centered", "optimistic", "pessimistic"), "continual-ep": ("positive", "negative")}
#: the beta each algorithm is checked at: a conductance (siemens) below every output's
#: total conductance for EP, an eta in (0, 1] for coupled learning, anything for cl
BETA = {"pep": 0.05, "nep": 0.05, "cep": 0.05, "cl": 3.0, "pcpl": 0.5, "ncpl": 0.5, "ccpl": 0.5,
        "agnostic-ep": 0.05, "continual-ep": 0.05}


@pytest.fixture(scope="module")
def problem():
    """A 3-input, 4-hidden, 2-output network, a batch of 3 inputs and one-hot targets."""
    circuit = build_drn(3, [4], 2, gain=2.0, seed=0)
    rng = np.random.default_rng(0)
    return circuit, rng.uniform(size=(3, 3)), np.eye(2)[[0, 1, 1]]


class RecordingSimulator(Simulator):
    """A Simulator that records the calls an algorithm makes to it."""

    def __init__(self, circuit):
        super().__init__(circuit, SolverSettings(tol=TOL))
        self.set_parameters(Parameters.from_circuit(circuit))
        self.calls: list[tuple] = []

    def nudged(self, x, beta, targets, warm):
        self.calls.append(("nudged", beta))
        return super().nudged(x, beta, targets, warm)

    def nudged_both_ways(self, x, beta, targets, warm):
        self.calls.append(("nudged_both_ways", beta))
        return super().nudged_both_ways(x, beta, targets, warm)

    def clamped(self, x, values, warm):
        self.calls.append(("clamped",))
        return super().clamped(x, values, warm)


def direct(circuit, x, targets, state, beta) -> np.ndarray:
    """A state of EXPECTED by one `circuitnet.solve`, columns in the circuit's node order."""
    outputs = circuit.outputs
    if state[0] == "nudge":
        solution = circuitnet.solve(circuit, x, tol=TOL, nudge=Nudge(outputs, state[1] * beta, targets))
    elif state[0] in ("couple", "targets"):
        free = direct(circuit, x, targets, ("free",), beta)
        v = free[:, [circuit.nodes.index(n) for n in outputs]]
        values = targets if state[0] == "targets" else v + state[1] * beta * (targets - v)
        solution = circuitnet.solve(circuit, x, tol=TOL, clamp=Clamp(outputs, values))
    else:
        solution = circuitnet.solve(circuit, x, tol=TOL)
    return solution.voltages[:, [solution.nodes.index(n) for n in circuit.nodes]]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_contrast_is_the_declared_one(name, problem):
    circuit, x, targets = problem
    beta = BETA[name]
    sim = RecordingSimulator(circuit)
    free = sim.free(x)
    contrast = ALGORITHMS[name].contrast(sim, x, targets, free, beta)
    upper, lower, scale = EXPECTED[name]
    np.testing.assert_allclose(contrast.upper, direct(circuit, x, targets, upper, beta), rtol=0, atol=1e-9)
    np.testing.assert_allclose(contrast.lower, direct(circuit, x, targets, lower, beta), rtol=0, atol=1e-9)
    assert contrast.scale == pytest.approx(scale(beta), rel=1e-15)
    assert not np.allclose(contrast.upper, contrast.lower, atol=1e-6)  # the two states differ
    if ("free",) in (upper, lower):
        assert (contrast.upper if upper == ("free",) else contrast.lower) is free  # no second free solve


@pytest.mark.parametrize("name, calls", [
    ("cep", [("nudged_both_ways", 0.05)]), ("pep", [("nudged", 0.05)]), ("nep", [("nudged", -0.05)]),
    ("cl", [("clamped",)]), ("pcpl", [("clamped",)]), ("ccpl", [("clamped",), ("clamped",)]),
    ("agnostic-ep", [("nudged_both_ways", 0.025)]), ("continual-ep", [("nudged", 0.05)]),
])
def test_simulator_calls(name, calls, problem):
    """Centered EP takes both nudged states from one `nudged_both_ways` call (the fast path)."""
    circuit, x, targets = problem
    sim = RecordingSimulator(circuit)
    ALGORITHMS[name].contrast(sim, x, targets, sim.free(x), 0.05)
    # (without a session, a nudged_both_ways call nudges twice)
    assert (sim.calls[:1] if calls[0][0] == "nudged_both_ways" else sim.calls) == calls


def test_registry_is_complete():
    assert list(ALGORITHMS) == ["pep", "nep", "cep", "cl", "pcpl", "ncpl", "ccpl", *PHYSICAL]
    for name, algorithm in ALGORITHMS.items():
        assert algorithm.name == name and algorithm.description and "\n" not in algorithm.description
        assert get_algorithm(name) is algorithm
        if name in PHYSICAL:
            assert algorithm.modes == PHYSICAL[name] and not algorithm.momentum
            continue
        assert algorithm.modes == () and algorithm.momentum
        upper, lower, _ = EXPECTED[name]
        assert len(algorithm.phases) == sum(state != ("free",) for state in (upper, lower))
    assert ALGORITHMS["cep"].phases == (NUDGED_UP, NUDGED_DOWN) and ALGORITHMS["pep"].phases == (NUDGED_UP,)
    with pytest.raises(CircuitValidationError, match="unknown algorithm 'bp'; choose one of pep, nep, cep, cl"):
        get_algorithm("bp")


def test_command_line_choices_are_the_registry():
    for name in ALGORITHMS:
        args = build_parser().parse_args(["train", "net.cir", "--out", "run", "--algorithm", name])
        assert args.algorithm == name
    with pytest.raises(SystemExit):
        build_parser().parse_args(["train", "net.cir", "--out", "run", "--algorithm", "bp"])


def test_strength():
    assert ALGORITHMS["cl"].strength(3.0) == 1.0  # clamped to the targets: no beta
    assert ALGORITHMS["cep"].strength(3.0) == 3.0 and ALGORITHMS["ccpl"].strength(1.0) == 1.0
    with pytest.raises(CircuitValidationError, match="0 < eta <= 1"):
        ALGORITHMS["ncpl"].strength(1.5)
    with pytest.raises(CircuitValidationError, match="beta must be positive"):
        ALGORITHMS["cep"].strength(-0.1)


def test_declarations_are_checked():
    with pytest.raises(CircuitValidationError, match="compares a state with itself"):
        Algorithm("same", "free against free", FREE, FREE, 1.0)
    with pytest.raises(CircuitValidationError, match="divisor must be positive"):
        Algorithm("zero", "cep over zero", NUDGED_UP, NUDGED_DOWN, 0.0)


#: An algorithm that is not in the registry: centered EP divided by beta instead of 2 beta.
DOUBLE_CEP = Algorithm("dcep", "centered EP over beta: twice cep's step", NUDGED_UP, NUDGED_DOWN, 1.0)


def test_one_entry_adds_an_algorithm(monkeypatch, capsys):
    x = np.random.default_rng(1).uniform(size=(12, 3))
    y = (x[:, 0] > x[:, 1]).astype(int)
    with pytest.raises(CircuitValidationError, match="unknown algorithm 'dcep'"):
        TrainingConfig(algorithm="dcep")
    monkeypatch.setitem(ALGORITHMS, DOUBLE_CEP.name, DOUBLE_CEP)
    schedule = TrainingConfig(beta=0.05, momentum=0.0, epochs=2, batch_size=4)
    double = Trainer(build_drn(3, [4], 2, gain=2.0, seed=0), schedule, algorithm="dcep", lr=0.01).fit(x, y)
    single = Trainer(build_drn(3, [4], 2, gain=2.0, seed=0), schedule, algorithm="cep", lr=0.02).fit(x, y)
    assert double.algorithm is DOUBLE_CEP
    assert not np.allclose(double.conductances_, Trainer(build_drn(3, [4], 2, gain=2.0, seed=0)).conductances_)
    np.testing.assert_allclose(double.conductances_, single.conductances_, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(double.biases_, single.biases_, rtol=1e-12, atol=1e-15)
    assert build_parser().parse_args(["train", "n.cir", "--out", "r", "--algorithm", "dcep"]).algorithm == "dcep"
    with pytest.raises(SystemExit):
        build_parser().parse_args(["train", "--help"])
    assert "dcep  centered EP over beta" in capsys.readouterr().out


@dataclass(frozen=True)
class HalfwayClamp(Phase):
    """A new kind of phase: outputs clamped halfway to the targets, whatever beta."""

    uses_beta = False

    def state(self, sim, x, targets, free, beta):
        v = sim.outputs(free)
        return sim.clamped(x, v + 0.5 * (targets - v), warm=free)


def test_a_new_phase_type(problem):
    """A Phase subclass and one Algorithm: here, coupled learning at eta = 1/2 for any beta."""
    circuit, x, targets = problem
    halfway = Algorithm("half", "clamped halfway to the targets against free, over 1/2", HalfwayClamp(), FREE, 0.5)
    sim = RecordingSimulator(circuit)
    free = sim.free(x)
    contrast = halfway.contrast(sim, x, targets, free, beta=7.0)
    reference = ALGORITHMS["pcpl"].contrast(sim, x, targets, free, 0.5)
    np.testing.assert_array_equal(contrast.upper, reference.upper)
    assert contrast.lower is free and contrast.scale == reference.scale == 0.5
    assert halfway.phases == (HalfwayClamp(),) and Coupled(+1.0) in ALGORITHMS["pcpl"].phases
