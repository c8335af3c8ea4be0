"""The bad-input catalogue: bad or tricky netlists and option sets never give a traceback,
a NaN or a silently wrong answer.

tests/bad_input/*.cir are decks (their helper files for .include and .lib are in
tests/bad_input/lib/). The comment lines after the title declare what the deck must give:

    * expect-error: FRAGMENT      the error is a CircuitError whose message holds FRAGMENT
    * expect-class: NAME          ... of this CircuitError subclass
    * expect-line: N              ... at line N (the error's location, and "FILE:N:" in it)
    * expect-file: lib/x.inc      ... of this file (default: the deck itself)
    * expect-node: NODE VOLTS TOL a valid deck: v(NODE) within TOL volts of VOLTS
    * derivation: ...             how the expected voltages were found (by hand, ngspice)
    * spice: no                   ngspice is not asked to confirm them (ideal diodes,
                                  includes, values beyond what ngspice's output prints)
    * solve: solver='qp'          keyword arguments of `solve`
    * xfail: REASON               fails today for REASON (a file the catalogue's owner does
                                  not own): expected to fail, strictly

Each deck is read (`read_netlist`), compiled and solved (`solve`, solver "auto" unless the
deck says otherwise), with pytest turning warnings into errors. The option sets are in
bad_input/api_cases.py. `test_ngspice_agrees` (marked spice) checks the expected voltages
of the valid decks against ngspice run on the deck text itself.
"""
from __future__ import annotations

import ast
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

from bad_input.api_cases import API_CASES, DIVIDER, ApiCase
from circuitnet import CircuitError, parse_netlist, read_netlist, solve
from circuitnet.cli import main
from ngspice_util import run_ngspice_op, spice_test

HERE = Path(__file__).resolve().parent / "bad_input"
DECKS = sorted(HERE.glob("*.cir"))
_KEYS = ("expect-error", "expect-class", "expect-line", "expect-file", "expect-node", "derivation",
         "spice", "solve", "xfail")


@dataclass
class Expectation:
    """What one deck's header declares (see the module docstring)."""

    errors: list[str] = field(default_factory=list)
    error_class: str | None = None
    line: int | None = None
    file: str | None = None
    nodes: dict[str, tuple[float, float]] = field(default_factory=dict)
    derivation: str | None = None
    spice: bool = True
    options: dict = field(default_factory=dict)
    xfail: str | None = None


def _options(text: str) -> dict:
    """`solver='qp', tol=1e-6` as a dict of literals."""
    call = ast.parse(f"f({text})", mode="eval").body
    return {keyword.arg: ast.literal_eval(keyword.value) for keyword in call.keywords}


def expectation(path: Path) -> Expectation:
    """The header of a deck: its comment lines after the title, up to the first card."""
    found = Expectation()
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    for line in lines[1:]:
        if not line.startswith("*"):
            break
        key, colon, value = line[1:].strip().partition(":")
        if not colon or key not in _KEYS:
            continue
        value = value.strip()
        if key == "expect-error":
            found.errors.append(value)
        elif key == "expect-class":
            found.error_class = value
        elif key == "expect-line":
            found.line = int(value)
        elif key == "expect-file":
            found.file = value
        elif key == "expect-node":
            node, volts, tol = value.split()
            found.nodes[node] = (float(volts), float(tol))
        elif key == "derivation":
            found.derivation = value
        elif key == "spice":
            found.spice = value != "no"
        elif key == "solve":
            found.options = _options(value)
        else:
            found.xfail = value
    assert bool(found.errors) != bool(found.nodes), f"{path.name}: declare an error or node voltages"
    assert not found.nodes or found.derivation, f"{path.name}: say how the expected voltages were found"
    return found


def _deck_case(path: Path):
    reason = expectation(path).xfail
    marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
    return pytest.param(path, id=path.stem, marks=marks)


def _api_case(case: ApiCase):
    marks = [pytest.mark.xfail(strict=True, reason=case.xfail)] if case.xfail else []
    return pytest.param(case, id=f"{case.kind}-{case.id}", marks=marks)


def test_the_catalogue_is_large_and_its_ids_are_unique():
    """At least 120 cases, no id twice, every deck's header readable."""
    ids = [p.stem for p in DECKS] + [f"{c.kind}-{c.id}" for c in API_CASES]
    assert len(ids) >= 120 and len(set(ids)) == len(ids)
    assert all(expectation(path) for path in DECKS)


@pytest.mark.parametrize("path", [_deck_case(p) for p in DECKS])
def test_deck(path: Path):
    """The deck gives the declared error, with its file and line, or the declared voltages."""
    expected = expectation(path)
    if expected.errors:
        with pytest.raises(CircuitError) as info:
            solve(read_netlist(path), **expected.options)
        error = info.value
        message = str(error)
        if expected.error_class:
            assert type(error).__name__ == expected.error_class, message
        for fragment in expected.errors:
            assert fragment in message
        if expected.line is not None:
            file = str(HERE / expected.file) if expected.file else str(path)
            assert error.location is not None, message
            assert (error.location.file, error.location.line) == (file, expected.line), message
            assert message.startswith(f"{file}:{expected.line}: "), message
        return
    solution = solve(read_netlist(path), **expected.options)
    assert np.all(np.isfinite(solution.voltages))
    for node, (volts, tol) in expected.nodes.items():
        got = float(solution.voltage(node)[0])
        assert abs(got - volts) <= tol, f"v({node}) = {got!r}, expected {volts!r} +- {tol!r}"


@pytest.mark.parametrize("case", [_api_case(c) for c in API_CASES])
def test_option_set(case: ApiCase, tmp_path, capsys):
    """The option set gives a CircuitError holding the declared fragment; on the command
    line, exit status 2 and the message as one line on stderr, no traceback."""
    if case.kind == "cli":
        deck = tmp_path / "divider.cir"
        deck.write_text(DIVIDER)
        status = main([arg.replace("{deck}", str(deck)) for arg in case.run])
        err = capsys.readouterr().err
        assert status == 2 and "Traceback" not in err
        assert len(err.strip().splitlines()) == 1, err
        assert case.error in err
        return
    if case.kind == "text":
        with pytest.raises(CircuitError) as info:
            solve(parse_netlist(case.run, "text.cir"))
        assert case.error in str(info.value)
        return
    compiled = parse_netlist(DIVIDER, "divider.cir").compile()
    with pytest.raises(CircuitError) as info:
        if case.kind == "solve":
            solve(compiled, **case.run())
        else:
            case.run(compiled)
    assert case.error in str(info.value)


@spice_test
@pytest.mark.parametrize("path", [p for p in DECKS if expectation(p).nodes and expectation(p).spice],
                         ids=lambda p: p.stem)
def test_ngspice_agrees(path: Path):
    """ngspice, run on the deck's own text, gives the voltages the deck expects."""
    expected = expectation(path)
    voltages = run_ngspice_op(path.read_text(encoding="utf-8-sig"))
    for node, (volts, tol) in expected.nodes.items():
        assert math.isclose(voltages[node], volts, abs_tol=max(tol, 1e-9 * abs(volts)))
