"""circuitnet against ngspice on a corpus of hand-written SPICE decks (spice_ref/decks/).

Each deck is a real circuit (regulators, rectifiers, clippers, multipliers, diode logic,
temperature sensors, op-amp macromodels, EP neurons, stiff bias networks, decks split over
`.include`/`.lib` files, ...). Its ngspice operating point, made by
spice_ref/generate_decks.py with `ngspice -b`, is stored beside it as <deck>.json; the
default tests read the deck with `read_netlist`, solve it with the default solver
("auto") and compare every node voltage and every branch current ngspice reports, without
ngspice. The `spice` test re-runs ngspice and checks that the stored files still hold.
"""
from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

from circuitnet import read_netlist, solve

ROOT = Path(__file__).resolve().parent.parent
DECKS = ROOT / "spice_ref" / "decks"
REFERENCES = sorted(DECKS.glob("*.json"))
#: Node voltages must match to this fraction of max(|v|, 1 V).
VOLTS_RTOL = 1e-6
#: Branch currents must match to this fraction of max(|i|, CURRENT_FLOOR). The floor is
#: where ngspice's own branch currents stop being exact: a branch current is solved as an
#: MNA unknown, rounding-limited to about eps * V / R of the series resistance it flows
#: through (reverse_polarity_tvs: 12 V across a 1N4001's 33.89 mohm RS, 7e-14 A off the
#: diode current ngspice itself reports), so a current below 1 uA is held to 1 pA.
AMPERES_RTOL = 1e-6
CURRENT_FLOOR = 1e-6

#: Decks that are correct SPICE (ngspice solves them) but that circuitnet does not solve yet.
KNOWN_FAILURES = {
    "zener_vendor_card": "circuitnet refuses the vendor card's IBVL/NBVL/TBV1, PSpice-only parameters "
                         "that ngspice ignores (\"unrecognized parameter - ignored\")",
}


def _case(path: Path):
    """One parametrised case per reference, marked by what is known about its deck."""
    name = path.stem
    marks = []
    if name in KNOWN_FAILURES:
        marks.append(pytest.mark.xfail(strict=True, reason=KNOWN_FAILURES[name]))
    return pytest.param(path, id=name, marks=marks)


def _record(path: Path) -> dict:
    return json.loads(path.read_text())


def test_the_corpus_is_complete():
    decks = {p.stem for p in DECKS.glob("*.cir")}
    assert decks == {p.stem for p in REFERENCES}, "every deck needs its reference: run spice_ref/generate_decks.py"
    assert len(decks) >= 40
    with_controlled = [d for d in DECKS.glob("*.cir") if any(
        line[:1].lower() in "gfh" for line in d.read_text().splitlines())]
    assert len(with_controlled) >= 6  # G, F and H cards are part of the corpus
    assert set(KNOWN_FAILURES) <= decks
    for deck in DECKS.glob("*.cir"):
        cards = [line.strip().lower() for line in deck.read_text().splitlines()]
        assert ".op" in cards and cards[-1] == ".end", deck.name


@pytest.mark.parametrize("reference", [_case(p) for p in REFERENCES])
def test_deck_matches_ngspice(reference: Path):
    record = _record(reference)
    solution = solve(read_netlist(ROOT / record["netlist"]))
    for node, expected in record["nodes"].items():
        got = solution.voltage(node)[0]
        assert abs(got - expected) <= VOLTS_RTOL * max(abs(expected), 1.0), (node, got, expected)
    for branch, expected in record["currents"].items():
        got = solution.current(branch)[0]
        assert abs(got - expected) <= AMPERES_RTOL * max(abs(expected), CURRENT_FLOOR), (branch, got, expected)


@pytest.mark.spice
@pytest.mark.skipif(shutil.which("ngspice") is None, reason="ngspice is not installed")
def test_references_are_what_ngspice_says_today():
    sys.path.insert(0, str(ROOT / "spice_ref"))
    from generate_decks import ladder_deck, reference

    assert (DECKS / "ladder_300_rs.cir").read_text() == ladder_deck()
    for path in REFERENCES:
        record = _record(path)
        fresh = reference(ROOT / record["netlist"])
        assert fresh["options"] == record["options"], path.stem
        for key in ("nodes", "currents"):
            assert fresh[key].keys() == record[key].keys(), (path.stem, key)
            np.testing.assert_allclose([fresh[key][k] for k in record[key]], list(record[key].values()),
                                       rtol=1e-9, atol=1e-15, err_msg=f"{path.stem} {key}")
