"""Agnostic EP (learning/agnostic.py): its reduction to the contrast algorithms, the explicit
knobs, the gradient orders in eps and beta, options, checkpoints and the command line."""
from __future__ import annotations

import numpy as np
import pytest

from circuitnet.cli import build_parser
from circuitnet.cli.train import training_config
from circuitnet.errors import CircuitValidationError, ConvergenceError
from circuitnet.learning import agnostic, homeostasis
from circuitnet.learning.devices import ExponentialDevice, LinearDevice
from circuitnet.learning.gradcheck import estimate, implicit_gradient, in_control, relative_error
from circuitnet.learning.parameters import Parameters
from circuitnet.learning.trainer import Trainer
from circuitnet.model.circuit import Bounds
from circuitnet.model.networks import build_drn
from test_gradients import problem as gradient_problem, slope


def data(n=32, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.uniform(size=(n, 4))
    return x, (x[:, 0] + x[:, 1] > x[:, 2] + x[:, 3]).astype(int)


def trainer(rule: str = "general", **settings) -> Trainer:
    """A 4-6-2 network, two epochs of batches of 8, tolerance mode."""
    return Trainer(build_drn(4, [6], 2, gain=4.0, seed=1),
                   **{"beta": 0.02, "lr": 0.05, "epochs": 2, "batch_size": 8, "tol": 1e-10, "rule": rule, **settings})


def trained(**settings) -> Trainer:
    return trainer(**settings).fit(*data())


def assert_same_parameters(a: Trainer, b: Trainer, rtol: float = 1e-10) -> None:
    """Equal to rtol, relative to each value or to the largest of its kind."""
    for mine, theirs in ((a.conductances_, b.conductances_), (a.biases_, b.biases_)):
        np.testing.assert_allclose(mine, theirs, rtol=rtol, atol=rtol * np.abs(theirs).max(initial=1e-5))


@pytest.mark.parametrize("mode, algorithm, beta", [("optimistic", "pep", 0.02), ("pessimistic", "nep", 0.02),
                                                   ("centered", "cep", 0.01)])
def test_one_round_is_the_contrast_algorithm(mode, algorithm, beta):
    """(beta1, beta2) = (0, +beta), (-beta, 0), (-beta/2, +beta/2): plain SGD on pep, nep and
    cep at beta/2 with the same learning rate (eps = lr / beta); momentum is ignored."""
    agnostic_run = trained(algorithm="agnostic-ep", mode=mode, momentum=0.5)
    assert agnostic_run.optimizer_.momentum == 0.0
    assert not np.allclose(agnostic_run.conductances_, trainer().conductances_)  # it trained
    assert_same_parameters(agnostic_run, trained(algorithm=algorithm, beta=beta, momentum=0.0))


@pytest.mark.parametrize("mode", list(agnostic.MODES))
def test_explicit_knobs_give_the_same_step(mode, monkeypatch):
    """The homeostatic knobs formed explicitly, then the clamped relaxation, equal the
    reduction to one contrast (linear device, one round, formula)."""
    reduced = trained(algorithm="agnostic-ep", mode=mode)
    monkeypatch.setattr(agnostic, "reduces_to_contrast", lambda config: False)
    assert_same_parameters(trained(algorithm="agnostic-ep", mode=mode), reduced, rtol=1e-9)


def test_more_rounds_change_the_step_by_order_eps():
    """Rounds after the first relax the circuit at the new theta: a change of order eps
    (small here: the alternation converges where eps times the energy's curvature is < 1)."""
    one = trained(algorithm="agnostic-ep", lr=1e-5)
    three = trained(algorithm="agnostic-ep", lr=1e-5, rounds=3)
    start = trainer().conductances_
    change = np.abs(one.conductances_ - start).max()
    difference = np.abs(three.conductances_ - one.conductances_).max()
    assert 0 < difference < 0.1 * change


def problem(seed: int):
    """test_gradients' random 4-5-2 network with random biases, a batch of 3, and the true gradient."""
    circuit, params, x, targets = gradient_problem(seed)
    return circuit, params, x, targets, implicit_gradient(circuit, params, x, targets)


BETAS = [0.01, 0.005, 0.0025, 0.00125]


@pytest.mark.parametrize("rounds", [1, 3])
@pytest.mark.parametrize("seed", [0, 1])
def test_error_falls_with_beta(seed, rounds):
    """(theta_new - theta0) / (-eps beta) against the true gradient at a small eps: like beta^2
    centered, like beta one-sided."""
    circuit, params, x, targets, true = problem(seed)
    order = {"centered": 2.0, "optimistic": 1.0, "pessimistic": 1.0}
    for mode, expected in order.items():
        errors = [relative_error(estimate(circuit, params, x, targets, "agnostic-ep", b, rate=1e-8, mode=mode,
                                          rounds=rounds), true) for b in BETAS]
        assert expected - 0.3 < slope(BETAS, errors) < expected + 0.3, (mode, errors)


def test_error_falls_with_eps():
    """With three rounds the clamped state moves with theta: an error of order eps, on top of
    the beta^2 of the centered mode (beta small enough to leave it below)."""
    circuit, params, x, targets, true = problem(1)
    rates = [1e-4, 3e-5, 1e-5]
    errors = [relative_error(estimate(circuit, params, x, targets, "agnostic-ep", 1e-3, rate=r, rounds=3), true)
              for r in rates]
    assert 0.8 < slope(rates, errors) < 1.2, errors
    one_round = relative_error(estimate(circuit, params, x, targets, "agnostic-ep", 1e-3, rate=1e-4), true)
    assert one_round < 0.01 * errors[0]  # one round: no eps in the error


@pytest.mark.parametrize("settings, message", [
    (dict(algorithm="cep", rounds=2), "rounds is a setting of agnostic-ep only, not of cep"),
    (dict(algorithm="agnostic-ep", mode="positive"), r"mode must be one of agnostic-ep's modes \('centered'"),
    (dict(algorithm="cep", mode="centered"), "mode must be one of cep's modes \\(none\\)"),
    (dict(algorithm="agnostic-ep", rounds=0), "rounds must be an integer >= 1"),
    (dict(algorithm="pep", device="exp"), "device is a setting of agnostic-ep only, not of pep"),
    (dict(algorithm="agnostic-ep", device_scale=0.0), "device_scale must be positive"),
    (dict(algorithm="agnostic-ep", homeostasis="pid"), "homeostasis must be one of 'formula', 'controller'"),
])
def test_settings_are_checked(settings, message):
    with pytest.raises(CircuitValidationError, match=message):
        trainer(**settings)


def test_resume_continues_exactly():
    x, y = data()
    settings = dict(algorithm="agnostic-ep", mode="pessimistic", rounds=2)
    whole = trainer(**{**settings, "epochs": 3}).fit(x, y)
    first = trainer(**{**settings, "epochs": 1}).fit(x, y)
    rest = trainer(**{**settings, "epochs": 3})
    rest.load_state(first.state())
    rest.fit(x, y)
    np.testing.assert_array_equal(whole.conductances_, rest.conductances_)
    np.testing.assert_array_equal(whole.biases_, rest.biases_)


def test_command_line_options():
    args = build_parser().parse_args(["train", "n.cir", "--out", "r", "--algorithm", "agnostic-ep", "--mode",
                                      "optimistic", "--rounds", "2", "--device", "exp", "--device-scale", "0.05",
                                      "--device-energy", "0.1", "--homeostasis", "controller", "--quiet"])
    config = training_config(args)
    assert (config.algorithm, config.mode, config.rounds, config.device, config.device_scale, config.device_energy,
            config.homeostasis) == ("agnostic-ep", "optimistic", 2, "exp", 0.05, 0.1, "controller")


@pytest.mark.parametrize("settings", [
    dict(mode="centered"),  # one rank-batch update in place, the two states one stacked solve
    dict(mode="optimistic", rounds=2, lr=1e-4),  # explicit knobs from rank-batch slopes
    dict(mode="pessimistic", rounds=2, lr=1e-4, sweeps=30, hidden=[6, 5]),
])
def test_layered_fast_path_equals_general(settings):
    settings = dict(settings)
    hidden = settings.pop("hidden", [6])
    x, y = data()
    runs = {}
    for rule in ("auto", "general"):
        run = Trainer(build_drn(4, hidden, 2, gain=4.0, seed=1), algorithm="agnostic-ep", beta=0.02, epochs=2,
                      batch_size=8, tol=1e-10, rule=rule, **{"lr": 0.05, **settings})
        assert (run.fast_rule_ is not None) == (rule == "auto")
        runs[rule] = run.fit(x, y)
    initial = Parameters.from_circuit(build_drn(4, hidden, 2, gain=4.0, seed=1)).conductances
    assert not np.allclose(runs["auto"].conductances_, initial)
    assert_same_parameters(runs["auto"], runs["general"], rtol=1e-9)


def test_rank_batch_slopes_equal_the_per_resistor_ones():
    from circuitnet.learning.rule import mean_energy_derivatives

    run = Trainer(build_drn(4, [6, 5], 2, gain=4.0, seed=1))
    x, _ = data(7)
    run.simulator.set_parameters(run.params_)
    free = run.simulator.free(x)
    fast, general = run.updater_.slopes(free), mean_energy_derivatives(run.pins, free)
    np.testing.assert_allclose(fast[0], general[0], rtol=1e-12, atol=1e-12 * np.abs(general[0]).max())
    np.testing.assert_array_equal(fast[1], general[1])


def test_float32_fixed_sweeps_train_within_bounds():
    x, y = data()
    run = trainer(rule="auto", algorithm="agnostic-ep", rounds=2, lr=1e-4, dtype="float32", sweeps=8)
    start = run.conductances_.copy()
    run.fit(x, y)
    assert run.conductances_.dtype == np.float32 and not np.array_equal(run.conductances_, start)
    bounds = run.circuit.bounds
    assert np.all((run.conductances_ >= np.float32(bounds.gmin)) & (run.conductances_ <= np.float32(bounds.gmax)))


DEVICES = [LinearDevice(), LinearDevice(stiffness=5.0), ExponentialDevice(), ExponentialDevice(scale=0.05,
                                                                                             stiffness=0.3)]


@pytest.mark.parametrize("device", DEVICES, ids=repr)
def test_devices(device):
    """f and its inverse, f' by differences, and the relaxation under the formula's knobs
    leaves theta where it was (it is the minimiser the knob was set for)."""
    rng = np.random.default_rng(0)
    bounds = Bounds(1e-6, 1.0)
    g = rng.uniform(1e-4, 0.5, 200)
    theta = device.control(g)
    np.testing.assert_allclose(device.conductance(theta), g, rtol=1e-14)
    h = 1e-6
    np.testing.assert_allclose(device.derivative(theta), (device.conductance(theta + h) - device.conductance(theta - h))
                               / (2 * h), rtol=1e-7)
    slopes, eps = rng.uniform(0.0, 50.0, 200), np.full(200, 1e-3)
    knobs = homeostasis.by_formula(device, theta, slopes, eps)
    np.testing.assert_allclose(device.relax(knobs, slopes, eps), theta, rtol=1e-12, atol=1e-14)
    controlled = homeostasis.by_controller(device, theta, slopes, eps)
    np.testing.assert_allclose(controlled, knobs, rtol=1e-11, atol=1e-14)
    far = device.relax(knobs - 10.0, slopes, eps)  # the minimiser is stationary wherever the knob is
    np.testing.assert_allclose(device.slope(far, slopes) + (far - (knobs - 10.0)) / eps, 0.0, atol=1e-8 / 1e-3)
    np.testing.assert_array_equal(device.relax(knobs, slopes, np.zeros(200)), knobs)
    np.testing.assert_allclose(device.conductance(np.array(device.range(bounds))), [bounds.gmin, bounds.gmax],
                               rtol=1e-14)


@pytest.mark.parametrize("settings", [dict(), dict(device="exp", lr=0.1), dict(device="exp", device_energy=0.2,
                                                                                  lr=0.1, rounds=2)])
def test_controller_trains_like_the_formula(settings):
    """The agnostic homeostasis (an integral controller reading theta only) settles on the
    formula's knobs: the same training, to rounding."""
    settings = {"algorithm": "agnostic-ep", "lr": 0.01, **settings}
    formula, controller = (trained(homeostasis=h, **settings) for h in ("formula", "controller"))
    assert not np.allclose(controller.conductances_, trainer().conductances_)
    assert_same_parameters(controller, formula, rtol=1e-8)


def test_controller_gives_up_when_it_cannot_settle(monkeypatch):
    monkeypatch.setattr(homeostasis, "MAX_ROUNDS", 2)
    device, theta = ExponentialDevice(), np.array([0.1])
    with pytest.raises(ConvergenceError, match="integral controller did not settle in 2 rounds"):
        homeostasis.by_controller(device, theta, np.array([1e3]), np.array([1.0]))


@pytest.mark.parametrize("seed", [0, 1])
def test_exponential_device_error_orders(seed):
    """theta the control, g = 1 mS exp(theta / 0.1): (theta_new - theta0) / (-eps beta)
    against f'(theta) dC/dg falls like beta^2 (centered) or beta (one-sided) at a small eps,
    and like eps at a small beta (f'' makes the relaxation nonlinear even in one round)."""
    circuit, params, x, targets, true = problem(seed)
    for mode, expected in {"centered": 2.0, "optimistic": 1.0}.items():
        settings = dict(device="exp", mode=mode)
        wanted = in_control(true, params, "agnostic-ep", **settings)
        errors = [relative_error(estimate(circuit, params, x, targets, "agnostic-ep", b, rate=1e-7, **settings),
                                 wanted) for b in BETAS[:3]]
        assert expected - 0.3 < slope(BETAS[:3], errors) < expected + 0.3, (mode, errors)
    rates = [1e-3, 1e-4, 3e-5]
    for settings in (dict(device="exp"), dict(device="exp", device_energy=0.1, homeostasis="controller")):
        wanted = in_control(true, params, "agnostic-ep", **settings)
        errors = [relative_error(estimate(circuit, params, x, targets, "agnostic-ep", 1e-3, rate=r, **settings),
                                 wanted) for r in rates]
        assert 0.8 < slope(rates, errors) < 1.2, (settings, errors)


def test_hidden_energy_adds_an_error_of_order_eps():
    circuit, params, x, targets, true = problem(1)
    rates = [1e-3, 1e-4, 1e-5]
    errors = [relative_error(estimate(circuit, params, x, targets, "agnostic-ep", 1e-3, rate=r, device_energy=1.0),
                             true) for r in rates]
    assert 0.8 < slope(rates, errors) < 1.2, errors


def test_exponential_device_on_the_layered_fast_path():
    x, y = data()
    runs = [trainer(rule=rule, algorithm="agnostic-ep", device="exp", device_energy=0.1, lr=0.5, sweeps=20).fit(x, y)
            for rule in ("auto", "general")]
    assert runs[0].fast_rule_ is not None
    assert_same_parameters(*runs, rtol=1e-9)


@pytest.mark.slow
def test_learns_the_bundled_digits_network_from_the_command_line(tmp_path, capsys):
    """`circuitnet train netlists/digits_drn.cir --data digits --algorithm agnostic-ep` with the
    defaults otherwise: at most 6 % test error (measured: 5.0 %, about 15 s)."""
    from pathlib import Path

    from circuitnet.cli import main
    from circuitnet.learning.checkpoint import load_checkpoint

    netlist = Path(__file__).resolve().parents[1] / "netlists" / "digits_drn.cir"
    assert main(["train", str(netlist), "--data", "digits", "--out", str(tmp_path / "run"), "--algorithm",
                 "agnostic-ep", "--quiet"]) == 0
    history = load_checkpoint(tmp_path / "run" / "last.npz").state["history"]
    assert history[-1, 3] <= 0.06
