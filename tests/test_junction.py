"""The diode's DC law (circuitnet.model.junction): the recombination current ISR/NR against
ngspice's operating point, and which parameters are modelled, inert or refused."""
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from ngspice_util import run_ngspice_dc, run_ngspice_op, spice_test

from circuitnet import CircuitValidationError, parse_netlist
from circuitnet.model.junction import junction_current, junction_of, model_failure
from circuitnet.solvers import solve
from circuitnet.solvers.method import choose

#: The vendor's PSpice card of the 1N4148 (ISR, NR, IKF, BV and capacitance fields).
D1N4148 = (".model D1N4148 D(Is=2.682n N=1.836 Rs=.5664 Ikf=44.17m Xti=3 Eg=1.11 Cjo=4p M=.3333 Vj=.5 "
           "Fc=.5 Isr=1.565n Nr=2 Bv=100 Ibv=100u Tt=11.54n)")
#: A diode whose recombination current dominates below about 0.45 V.
RECOMBINING = ".model drec D(is=1e-14 n=1.05 rs=0.5 isr=2n nr=2 vj=0.6 m=0.4)"
#: Recombination fields of the law tests: (model parameters, instance parameters, the
#: circuit's temperature cards), with is=1e-14 n=1.05 unless they say otherwise.
LAW_CASES = {
    "27C": ("isr=2n nr=2 vj=0.6 m=0.4", "", ""),
    "-40C": ("isr=2n nr=2.2 vj=0.6 m=0.4 tm1=2m tm2=1e-5", "", ".temp -40"),
    "100C": ("isr=2n nr=2.2 vj=0.6 m=0.4 tm1=2m tm2=1e-5 eg=1.0 xti=2.5", "", ".temp 100"),
    "-40C-options-tnom": ("isr=2n nr=1.7 vj=0.8 m=0.3", "", ".temp -40\n.options tnom=60"),
    "100C-model-tnom": ("isr=2n nr=1.7 vj=0.8 m=0.3 tnom=-10 tm1=-1m", "", ".temp 100"),
    "instance-temp": ("isr=2n nr=2 vj=0.6 m=0.4 tm1=1m", "temp=80", ""),
    "dtemp": ("isr=2n nr=2 vj=0.6 m=0.4 tm1=1m", "dtemp=-30", ".options tnom=0"),
    "area-m": ("isr=2n nr=2 vj=0.6 m=0.4 ikf=3m", "area=0.5 m=3", ".temp 60"),
    "vj-small": ("isr=10n nr=1.8 vj=0.3 m=0.5", "", ""),
    "m-above-0.9": ("isr=10n nr=1.8 vj=0.4 m=0.95", "", ".temp 75"),  # ngspice bounds M by 0.9
    "vj-above-1/fc": ("isr=10n nr=1.8 vj=3 fc=0.5", "", ""),  # ngspice bounds VJ by 1/FC
    "tlevc-1": ("isr=10n nr=1.8 vj=0.7 tlevc=1 tpb=2m tnom=50", "", ".temp 75"),
    "aliases": ("isr=10n nr=1.8 pb=0.5 mj=0.6 tvj=1m tlevc=1", "", ".temp -20"),
    "ikf": ("isr=1.565n nr=2 vj=0.5 m=0.3333 ikf=44.17m n=1.836 is=2.682n", "", ""),
}


def diode_deck(model: str, drive: str, instance: str = "", cards: str = "") -> str:
    """A source `drive` ("I1 0 a 1m", or "V1 in 0 5" behind 1 kohm) into diode D1 of
    `model` with `instance` parameters; `cards`: .temp and .options lines."""
    feed = "Rfeed in a 1k\n" if drive.startswith("V") else ""
    return f"recombination\n{drive}\n{feed}D1 a 0 {model.split()[1]} {instance}\n{model}\n{cards}\n.op\n.end\n"


def tight(deck: str) -> str:
    """`deck` with tolerances under which ngspice reaches its operating point. ngspice 39's
    conductance of the recombination current is not the current's derivative (its
    generation-factor term lacks 1/VJ and carries the factor twice), so Newton converges
    slowly and at the default RELTOL and VNTOL stops up to 2e-4 relative short of the root
    of ngspice's own equations, which circuitnet solves; at RELTOL=VNTOL=1e-9 it gets to
    within 1e-8 (tighter still, ABSTOL 1e-15 or VNTOL 1e-11, and at 1 nA it fails over
    to gmin and source stepping and ends on an inexact transient operating point)."""
    return deck.replace("\n.end\n", "\n.options reltol=1e-9 vntol=1e-9\n.end\n")


def assert_matches_ngspice(deck: str, rel: float = 1e-6) -> None:
    """Every node voltage of circuitnet's auto solver within `rel` of ngspice's (1 uV floor)."""
    reference = run_ngspice_op(tight(deck))
    solution = solve(parse_netlist(deck))
    assert solution.info["method"] == "newton"
    for node, expected in reference.items():
        got = solution.voltage(node)[0]
        assert abs(got - expected) <= rel * max(abs(expected), 1e-6), (node, got, expected)


@spice_test
@pytest.mark.parametrize("case", LAW_CASES, ids=list(LAW_CASES))
def test_the_law_matches_ngspice_from_reverse_bias_to_100_ma(case):
    """A source straight across the junction fixes its voltage, so ngspice's current is
    its law itself: from below -3 N VT (no recombination current there) up to ~100 mA.
    Tolerances tight enough that ngspice does not bypass the junction on a small change."""
    params, instance, cards = LAW_CASES[case]
    deck = (f"law\nV1 a 0 0\nD1 a 0 dl {instance}\n.model dl D(is=1e-14 n=1.05 {params})\n{cards}\n"
            f".options reltol=1e-12 abstol=1e-18\n.dc V1 -0.3 0.8 0.005\n.end\n")
    reference = run_ngspice_dc(deck)
    solution = solve(parse_netlist(deck), {"v1": reference["v(a)"]})
    np.testing.assert_allclose(solution.current("d1"), -reference["i(v1)"], rtol=1e-9, atol=1e-18)


@spice_test
@pytest.mark.parametrize("current", [1e-9, 1e-7, 1e-5, 1e-3, 1e-1])
@pytest.mark.parametrize("model", [RECOMBINING, D1N4148], ids=["recombining", "1n4148"])
def test_a_current_driven_diode_matches_ngspice(model, current):
    """From 1 nA, where ISR carries nearly all the current, to 100 mA, where RS and IKF do."""
    assert_matches_ngspice(diode_deck(model, f"I1 0 a {current:g}"))


@spice_test
@pytest.mark.parametrize("case", ["-40C-options-tnom", "100C-model-tnom", "area-m", "vj-small", "tlevc-1"])
def test_operating_points_behind_resistors_match_ngspice(case):
    """RS, a 1 kohm feed from +5 V or -3 V, or a current source, at the law cases' fields."""
    params, instance, cards = LAW_CASES[case]
    model = f".model dl D(is=1e-14 n=1.05 rs=1.5 {params})"
    for drive in ("I1 0 a 30n", "I1 0 a 20m", "V1 in 0 5", "V1 in 0 -3"):
        assert_matches_ngspice(diode_deck(model, drive, instance, cards))


@spice_test
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(isr=st.floats(1e-12, 1e-7), nr=st.floats(1.2, 4.0), n=st.floats(0.9, 2.0), log_is=st.floats(-17, -9),
       vj=st.floats(0.3, 1.2), grading=st.floats(0.1, 0.7), temp=st.sampled_from([-40.0, 27.0, 100.0]),
       tnom=st.sampled_from([None, 0.0, 50.0]), area=st.floats(0.2, 5.0), m=st.integers(1, 4),
       resistors=st.tuples(st.floats(1.0, 1e5), st.floats(10.0, 1e6)), volts=st.floats(-5.0, 12.0))
def test_random_recombining_diodes_in_resistor_networks_match_ngspice(isr, nr, n, log_is, vj, grading, temp, tnom,
                                                                        area, m, resistors, volts):
    """A divider feeding the diode through 100 ohm, every recombination field at random."""
    model = (f".model dr D(is={10 ** log_is:.6e} n={n:.6f} rs=1 isr={isr:.6e} nr={nr:.6f} vj={vj:.6f} "
             f"m={grading:.6f}{'' if tnom is None else f' tnom={tnom:g}'})")
    deck = (f"random\nV1 in 0 {volts:.6f}\nR1 in a {resistors[0]:.6e}\nR2 a 0 {resistors[1]:.6e}\n"
            f"R3 a b 100\nD1 b 0 dr area={area:.6f} m={m}\n{model}\n.temp {temp:g}\n.op\n.end\n")
    assert_matches_ngspice(deck)


@spice_test
def test_the_vendor_1n4148_clipper_matches_ngspice_over_a_sweep():
    """Two 1N4148s clip a +-10 V input to about +-0.7 V through 1 kohm, 100 kohm load."""
    deck = (f"clipper\nVin in 0 0\nR1 in out 1k\nD1 out 0 D1N4148\nD2 0 out D1N4148\nRload out 0 100k\n"
            f"{D1N4148}\n.dc Vin -10 10 0.25\n.end\n")
    reference = run_ngspice_dc(tight(deck))
    solution = solve(parse_netlist(deck), {"vin": reference["v(in)"]})
    assert solution.info["method"] == "newton"
    np.testing.assert_allclose(solution.voltage("out"), reference["v(out)"], rtol=1e-6, atol=1e-9)


@spice_test
def test_the_zener_vendor_card_without_its_pspice_only_fields_matches_ngspice():
    """spice_ref/decks/zener_vendor_card.cir is refused for IBVL, NBVL and TBV1, which
    ngspice ignores; without them (ISR, NR, VJ, M kept) circuitnet gives ngspice's answer."""
    deck = (Path(__file__).resolve().parent.parent / "spice_ref" / "decks" / "zener_vendor_card.cir").read_text()
    with pytest.raises(CircuitValidationError, match="IBVL .*ngspice ignores it too"):
        parse_netlist(deck).validate()
    assert_matches_ngspice(deck.replace("+ Ibvl=1m Nbvl=1.6 Tbv1=176.5u)", "+ )"))


def test_the_recombination_current_is_ngspices_formula():
    """ISR (exp(vd/(NR VT)) - 1) ((1 - vd/VJ)^2 + 0.005)^(M/2) added to the Shockley current,
    at 27 C where ISR, VJ and M keep their card values."""
    law = junction_of({"is": 1e-14, "isr": 1e-9, "nr": 2.0, "vj": 0.6, "m": 0.4}, {}, 27.0, 27.0)
    assert (law.recombination, law.potential, law.grading) == (1e-9, pytest.approx(0.6, abs=1e-14), 0.4)
    vd = np.linspace(-0.05, 0.9, 20)
    current, _ = junction_current(vd, law.saturation, law.nvt, law.breakdown, law.nbv_vt, law.knee,
                                  law.recombination, law.nr_vt, law.potential, law.grading)
    generation = ((1 - vd / law.potential) ** 2 + 0.005) ** 0.2
    expected = 1e-14 * np.expm1(vd / law.nvt) + 1e-9 * np.expm1(vd / law.nr_vt) * generation
    np.testing.assert_allclose(current, expected, rtol=1e-12)


def test_the_recombination_slope_is_the_derivative_and_ends_below_minus_3_n_vt():
    """The slope is the current's derivative (with the knee IKF on top), and the recombination
    current is ngspice's forward-region term only: below -3 N VT the law is the plain tail."""
    law = junction_of({"is": 1e-13, "isr": 1e-8, "nr": 2.5, "vj": 0.5, "m": 0.45, "ikf": 1e-3}, {}, 27.0, 27.0)
    fields = (law.saturation, law.nvt, law.breakdown, law.nbv_vt, law.knee, law.recombination, law.nr_vt,
              law.potential, law.grading)
    vd, step = np.linspace(-0.07, 1.0, 200), 1e-7
    _, slope = junction_current(vd, *fields)
    up, _ = junction_current(vd + step, *fields)
    down, _ = junction_current(vd - step, *fields)
    np.testing.assert_allclose(slope, (up - down) / (2 * step), rtol=1e-5)
    edge = -3.0 * law.nvt
    below, _ = junction_current(np.array([edge - 1e-12]), *fields)
    plain, _ = junction_current(np.array([edge - 1e-12]), *fields[:5])
    assert below == plain


def test_inert_values_are_accepted_and_change_nothing():
    """ISR=0 (with NR), IKR=0, JSW=0 (with NS), JTUN=0 and JTUNSW=0 (with NTUN, XTITUN, KEG)
    and ISW=0 switch their current off, as in ngspice; NR, VJ, M act only through ISR."""
    plain = {"is": 1e-12, "n": 1.3, "rs": 2.0}
    inert = [{"isr": 0.0, "nr": 3.0}, {"ikr": 0.0}, {"jsw": 0.0, "ns": 2.0}, {"isw": 0.0}, {"ns": 1.5},
             {"jtun": 0.0, "jtunsw": 0.0, "ntun": 10.0, "xtitun": 2.0, "keg": 0.5},
             {"nr": 0.0, "vj": 0.3, "m": 0.7, "tm1": 1e-2, "tlevc": 2.0}]
    for extra in inert:
        assert model_failure({**plain, **extra}) is None, extra
        assert junction_of({**plain, **extra}, {}, 80.0, 27.0) == junction_of(plain, {}, 80.0, 27.0), extra


@pytest.mark.parametrize("extra, message", [
    ({"ikr": 1e-3}, "IKR .*not modelled by circuitnet"),
    ({"jsw": 1e-12}, "JSW .*not modelled by circuitnet"),
    ({"jtun": 1e-12, "ntun": 10.0}, "JTUN .*not modelled by circuitnet"),
    ({"keg": 0.5, "jtunsw": 1e-12}, "KEG .*not modelled by circuitnet"),
    ({"isr": -1e-9}, "ISR=-1e-09 must be >= 0"),
    ({"isr": 1e-9, "nr": 0.0}, "NR=0 must be > 0"),
    ({"isr": 1e-9, "vj": -0.5}, "VJ=-0.5 must be > 0"),
    ({"isr": 1e-9, "tlevc": 2.0}, "TLEVC=2: circuitnet models TLEVC 0 and 1"),
])
def test_what_circuitnet_does_not_model_is_refused(extra, message):
    with pytest.raises(CircuitValidationError, match=message):
        parse_netlist(f"t\nV1 a 0 1\nD1 a 0 dx\n.model dx D(is=1e-12 "
                      f"{' '.join(f'{k}={v:g}' for k, v in extra.items())})\n.end\n").validate()


@pytest.mark.parametrize("name", ["ibvl", "nbvl", "tbv1", "tbv2", "isw", "rsw", "gmin"])
def test_parameters_ngspice_does_not_know_are_refused_saying_ngspice_ignores_them(name):
    """ngspice 39 warns "unrecognized parameter (ibvl) - ignored" and simulates without it."""
    deck = f"t\nV1 a 0 1\nD1 a 0 D1N4733A\n.model D1N4733A D(is=1e-12 {name}=1m)\n.end\n"
    with pytest.raises(CircuitValidationError, match=(
            rf"\.model d1n4733a: diode parameter {name.upper()} \(.*\) is not an ngspice parameter: ngspice "
            r"ignores it too \(\"unrecognized parameter - ignored\"\); remove it to get ngspice's answer")):
        parse_netlist(deck).validate()


@pytest.mark.parametrize("solver", ["cd", "qp"])
def test_cd_and_qp_refuse_isr_and_auto_takes_newton(solver):
    circuit = parse_netlist(f"t\nV1 in 0 5\nR1 in a 1k\nD1 a 0 drec\n{RECOMBINING}\n.end\n")
    with pytest.raises(CircuitValidationError, match=r"\(ISR\).*solver='newton' or 'auto'"):
        solve(circuit, solver=solver)
    assert solve(circuit).info["method"] == "newton"
    assert choose(circuit.compile(), None)[0] == ["newton"]


@spice_test
@pytest.mark.parametrize("nbv", ["", "nbv=1", "nbv=2.5"])
def test_nbv_defaults_to_n_as_in_ngspice(nbv):
    # near the breakdown knee the emission coefficient of the breakdown current decides v(b)
    deck = f"t\nV1 a 0 -4.5\nR1 a b 35.12k\nD1 b 0 dd\n.model dd D(is=2.17e-11 n=1.168 bv=4.277 {nbv})\n.end\n"
    reference = run_ngspice_op(deck.replace(".end", ".options reltol=1e-9 vntol=1e-12\n.op\n.end"))
    assert solve(parse_netlist(deck)).voltage("b")[0] == pytest.approx(reference["b"], rel=1e-7)
