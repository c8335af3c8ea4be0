"""Sessions (a training step's shared solves) against `solve` in fixed-sweep mode."""
from __future__ import annotations

import numpy as np
import pytest
from random_circuits import random_circuit, randomised_drn

from circuitnet.compile.conditions import Nudge
from circuitnet.errors import CircuitValidationError, DataError
from circuitnet.learning.trainer import Trainer
from circuitnet.model.networks import build_drn
from circuitnet.solvers import solve
from circuitnet.solvers.session import KernelSession, LayeredSession, open_session


def randomised(hidden, seed, features=5, classes=3):
    """A compiled DRN with random conductances and biases (`randomised_drn`)."""
    circuit, rng = randomised_drn(hidden, seed, features, classes)
    return circuit.compile(), rng


@pytest.mark.parametrize("hidden", [[6], [7, 5], [5, 4, 3]])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("seed", range(4))
def test_free_and_nudged_states_equal_solve(hidden, dtype, seed):
    cc, rng = randomised(hidden, seed)
    session = LayeredSession(cc, dtype=dtype)
    x = rng.random((4, 5))
    atol = 1e-12 if dtype == np.float64 else 2e-5
    free = session.solve(x, sweeps=4)
    reference = solve(cc, x, sweeps=4, dtype=dtype).voltages
    np.testing.assert_allclose(free, reference, rtol=0, atol=atol)
    for beta in (0.5, -0.02):
        nudge = Nudge(cc.circuit.outputs, beta, rng.random((4, 3)))
        nudged = session.solve(x, sweeps=3, nudge=nudge, warm_start=free)
        reference = solve(cc, x, sweeps=3, dtype=dtype, nudge=nudge, warm_start=free).voltages
        np.testing.assert_allclose(nudged, reference, rtol=0, atol=atol)
        assert not np.allclose(nudged, free)  # the nudge acted


def test_prepared_work_follows_inputs_conductances_and_biases():
    """Every edit of the session's values (and of the input array in place) reaches the
    next solve: compared with `solve` given the same values."""
    cc, rng = randomised([6], 9)
    values = cc.values()
    session = LayeredSession(cc, values)
    x = rng.random((3, 5))
    session.solve(x, sweeps=5)

    def check():
        np.testing.assert_allclose(session.solve(x, sweeps=5), solve(cc, x, sweeps=5, values=values).voltages,
                                   atol=1e-12)

    x[1] = rng.random(5)  # the same array, changed in place
    check()
    before = session.solve(x, sweeps=5)
    values.set_conductances(values.conductance * rng.uniform(0.5, 1.5, values.conductance.shape))
    check()
    with values.editing() as conductance:
        conductance[:10] *= 2.0
    check()
    values.set_sources(values.sources[cc.sources.column["ib1_0"]] + 0.25, cc.sources.column["ib1_0"])
    check()
    assert not np.allclose(session.solve(x, sweeps=5), before, atol=1e-3)  # the edits acted
    np.testing.assert_allclose(session.solve({"ib2_1": 0.1}, sweeps=5),
                               solve(cc, {"ib2_1": 0.1}, sweeps=5, values=values).voltages, atol=1e-12)


def test_bad_requests_are_named():
    cc, rng = randomised([6], 1)
    session = LayeredSession(cc)
    x = rng.random((2, 5))
    with pytest.raises(CircuitValidationError, match="unknown node"):
        session.solve(x, sweeps=2, nudge=Nudge(["nowhere"], 0.1, np.zeros((2, 1))))
    with pytest.raises(DataError, match="shape"):
        session.solve(x, sweeps=2, nudge=Nudge(cc.circuit.outputs, 0.1, np.zeros((3, 3))))
    with pytest.raises(ValueError, match="warm_start"):
        session.solve(x, sweeps=2, warm_start=np.zeros((2, 4)))
    with pytest.raises(ValueError, match="layered"):
        LayeredSession(random_circuit(0, ideal=3).compile())


@pytest.mark.parametrize("options", [
    {"algorithm": "cep", "hidden": [8], "dtype": "float64"},
    {"algorithm": "pep", "hidden": [8, 6], "dtype": "float64", "lr": [0.02, 0.05, 0.1]},
    {"algorithm": "nep", "hidden": [8, 6], "dtype": "float32"},
])
def test_training_with_dense_blocks_equals_training_with_the_kernel(options):
    options = dict(options)
    hidden = options.pop("hidden")
    rng = np.random.default_rng(0)
    x, y = rng.uniform(size=(40, 5)), rng.integers(0, 3, size=40)
    runs = []
    for layered in (True, False):
        trainer = Trainer(build_drn(5, hidden, 3, gain=3.0, seed=2), beta=0.05, epochs=2, batch_size=4,
                          sweeps=6, **{"lr": 0.05, **options})
        trainer.simulator.settings.layered = layered
        runs.append(trainer.fit(x, y))
    with_sessions, without = runs
    tolerance = {"rtol": 1e-10, "atol": 1e-13} if options["dtype"] == "float64" else {"rtol": 1e-4, "atol": 1e-6}
    np.testing.assert_allclose(with_sessions.conductances_, without.conductances_, **tolerance)
    np.testing.assert_allclose(with_sessions.biases_, without.biases_, **tolerance)
    assert with_sessions.history_[-1].train_loss == pytest.approx(without.history_[-1].train_loss, rel=1e-3)


def test_open_session_picks_the_block_kind():
    cc = build_drn(5, [6], 3, gain=3.0).compile()
    assert isinstance(open_session(cc), LayeredSession)
    assert isinstance(open_session(cc, layered=False), KernelSession)
    assert isinstance(open_session(random_circuit(0, ideal=3).compile()), KernelSession)


def test_kernel_session_equals_layered_session():
    cc, rng = randomised([7, 5], 6)
    x = rng.random((3, 5))
    nudges = [Nudge(cc.circuit.outputs, 0.4, rng.random((3, 3))), None]
    dense, kernel = LayeredSession(cc), KernelSession(cc)
    free = dense.solve(x, sweeps=3)
    np.testing.assert_allclose(free, kernel.solve(x, sweeps=3), rtol=0, atol=1e-12)
    for a, b in zip(dense.solve_nudged(x, sweeps=3, nudges=nudges, warm_start=free),
                    kernel.solve_nudged(x, sweeps=3, nudges=nudges, warm_start=free)):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)


def test_stacked_nudges_equal_one_solve_each():
    cc, rng = randomised([7, 5], 3)
    session = LayeredSession(cc)
    x = rng.random((3, 5))
    free = session.solve(x, sweeps=4)
    nudges = [Nudge(cc.circuit.outputs, 0.4, rng.random((3, 3))), Nudge(cc.circuit.outputs, -0.03, rng.random((3, 3))),
              None]
    stacked = session.solve_nudged(x, sweeps=4, nudges=nudges, warm_start=free)
    for state, nudge in zip(stacked, nudges):
        np.testing.assert_allclose(state, session.solve(x, sweeps=4, nudge=nudge, warm_start=free), rtol=0, atol=1e-12)
    with pytest.raises(ValueError, match="same nodes"):
        session.solve_nudged(x, sweeps=1, nudges=[nudges[0], Nudge(cc.circuit.outputs[:1], 0.1, np.zeros((3, 1)))])
