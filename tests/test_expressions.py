"""Tests of circuitnet.netlist.expressions: the `{expr}` evaluator's arithmetic, names, functions, errors."""
from __future__ import annotations

import math

import numpy as np
import pytest

from circuitnet.netlist.expressions import FUNCTIONS, evaluate


@pytest.mark.parametrize("text, expected", [
    ("1 + 2*3", 1 + 2 * 3),
    ("(1 + 2)*3", (1 + 2) * 3),
    ("7/2", 3.5),
    ("10 - 4 - 3", (10 - 4) - 3),
    ("2**10", 1024.0),
    ("2^10", 1024.0),
    ("2^3^2", 2.0 ** 9),          # right-associative, like **
    ("-2^2", -4.0),               # the power binds tighter than unary minus
    ("(-2)^2", 4.0),
    ("2**-1", 0.5),
    ("--3", 3.0),
    ("+4", 4.0),
    ("2*-3", -6.0),
    (".5*4", 2.0),
    ("5.", 5.0),
    ("1e3 + 2.5e-1", 1000.25),
    ("  1 +\t2  ", 3.0),
])
def test_arithmetic_follows_python_precedence(text, expected):
    """Operators, precedence, associativity and unary signs give the hand-computed value."""
    value = evaluate(text, {})
    assert isinstance(value, float)
    assert value == expected


@pytest.mark.parametrize("text, expected", [
    ("2k", 2e3), ("2K", 2e3), ("4.7kohm", 4.7e3), ("1meg", 1e6), ("1MEG", 1e6), ("3m", 3e-3),
    ("1.5u", 1.5e-6), ("10n", 10e-9), ("2p", 2e-12), ("1f", 1e-15), ("1g", 1e9), ("1t", 1e12),
    ("1e3k", 1e6), ("10V", 10.0), ("25mil", 25 * 25.4e-6), ("0.1m", 1e-4),
])
def test_spice_scale_suffixes(text, expected):
    """Numbers take SPICE's scale suffixes (meg before m, unit letters ignored)."""
    assert evaluate(text, {}) == pytest.approx(expected, rel=1e-15)


def test_suffixed_numbers_combine_with_operators():
    """A suffixed number is one token: '2k*3 + 1meg/2' is 2000*3 + 1e6/2."""
    assert evaluate("2k*3 + 1meg/2", {}) == 2000.0 * 3 + 1e6 / 2


def test_names_are_looked_up_case_insensitively():
    """Names are lower-cased before lookup in the (lower-case) scope."""
    scope = {"rload": 1500.0, "gain_2": 3.0}
    assert evaluate("2*RLoad + GAIN_2", scope) == 2 * 1500.0 + 3.0


@pytest.mark.parametrize("name", ["if", "lambda", "class", "none", "true", "import", "p_x", "_x1"])
def test_names_that_are_python_keywords_work(name):
    """Parameter names that are Python keywords (or look like internals) are plain names."""
    assert evaluate(f"{name} * 2", {name: 21.0}) == 42.0


def test_the_same_text_follows_the_scope():
    """Evaluating one text with two scopes gives each scope's value (no stale cached values)."""
    assert evaluate("2*x + 1", {"x": 1.0}) == 3.0
    assert evaluate("2*x + 1", {"x": 5.0}) == 11.0


def test_scope_is_not_modified():
    """evaluate reads the scope and leaves it as it was."""
    scope = {"a": 1.0, "b": 2.0}
    evaluate("a + b", scope)
    assert scope == {"a": 1.0, "b": 2.0}


def test_the_function_table():
    """Exactly the documented functions are available."""
    assert set(FUNCTIONS) == {"sqrt", "exp", "log", "abs", "min", "max", "pow"}


@pytest.mark.parametrize("text, expected", [
    ("sqrt(2)", math.sqrt(2.0)),
    ("exp(1.5)", math.exp(1.5)),
    ("log(10)", math.log(10.0)),
    ("abs(-3.5)", 3.5),
    ("min(4, -1, 2)", -1.0),
    ("max(4, -1, 2)", 4.0),
    ("pow(2, 0.5)", 2.0 ** 0.5),
    ("SQRT(pow(3, 2) + 16)", 5.0),
    ("exp(log(7))", math.exp(math.log(7.0))),
])
def test_functions(text, expected):
    """Each function, upper case and nested, matches the math module's value."""
    assert evaluate(text, {}) == pytest.approx(expected, rel=1e-15)


def _random_tree(rng, depth):
    """A random expression over + - * and unary minus: (its text, its value computed in Python)."""
    if depth == 0 or rng.random() < 0.25:
        if rng.random() < 0.5:
            name = f"v{rng.integers(3)}"
            return name, {"v0": 1.25, "v1": -0.5, "v2": 3.0}[name]
        number = float(rng.integers(-50, 50)) / 8
        return repr(abs(number)), abs(number)
    if rng.random() < 0.15:
        text, value = _random_tree(rng, depth - 1)
        return f"-({text})", -value
    (a, x), (b, y) = _random_tree(rng, depth - 1), _random_tree(rng, depth - 1)
    op = "+-*"[rng.integers(3)]
    value = x + y if op == "+" else x - y if op == "-" else x * y
    return f"({a}) {op} ({b})", value


def test_random_expressions_match_python_arithmetic():
    """Seeded random fully parenthesized expressions evaluate to the value computed alongside."""
    rng = np.random.default_rng(7)
    scope = {"v0": 1.25, "v1": -0.5, "v2": 3.0}
    for _ in range(200):
        text, expected = _random_tree(rng, 5)
        assert evaluate(text, scope) == expected, text


@pytest.mark.parametrize("text, message", [
    ("nope + 1", "unknown parameter 'nope'"),
    ("sqrt", "unknown parameter 'sqrt'"),
    ("foo(1)", "unknown function 'foo' (known: abs, exp, log, max, min, pow, sqrt)"),
    ("open(1)", "unknown function 'open'"),
    ("eval(1)", "unknown function 'eval'"),
    ("x(2)", "unknown function 'x'"),
    ("2 +", "malformed expression"),
    ("1 2", "malformed expression"),
    ("()", "unsupported expression syntax"),
    ("", "malformed expression"),
    ("(((1)", "malformed expression"),
    ("1 $ 2", "unexpected character '$'"),
    ("x.y", "unexpected character '.'"),
    ("a = 1", "unexpected character '='"),
    ("x[0]", "unexpected character '['"),
    ("__import__('os')", "unexpected character \"'\""),
    ("().__class__", "unexpected character '.'"),
    ("(1, 2)", "unsupported expression syntax"),
    ("(1)(2)", "unsupported expression syntax"),
    ("sqrt(4)(2)", "unsupported expression syntax"),
    ("1/0", "cannot evaluate"),
    ("1/(x - x)", "division by zero"),
    ("0^-1", "cannot evaluate"),
    ("sqrt(-1)", "cannot evaluate sqrt()"),
    ("log(0)", "cannot evaluate log()"),
    ("pow(-8, 1/3)", "cannot evaluate pow()"),
    ("sqrt(1, 2)", "cannot evaluate"),
    ("min()", "cannot evaluate"),
    ("exp(1000)", "cannot evaluate"),
    ("10^400", "cannot evaluate"),
    ("1e308*10", "not a finite real number"),
    ("(-4)^0.5", "not a finite real number"),
])
def test_bad_expressions_raise_value_error(text, message):
    """Malformed text, unknown names and functions and arithmetic errors raise a ValueError
    whose message says which."""
    with pytest.raises(ValueError) as info:
        evaluate(text, {"x": 1.0})
    assert message in str(info.value)


def test_errors_are_not_cached():
    """A text that failed for a missing name evaluates once the name is in scope."""
    with pytest.raises(ValueError, match="unknown parameter 'late'"):
        evaluate("late * 2", {})
    assert evaluate("late * 2", {"late": 4.0}) == 8.0


@pytest.mark.parametrize("scope", [{}, {"f": 2.0}])
def test_overflowing_literal_is_reported_as_not_finite(scope):
    """A number too large for a float is an error about its value, never a parameter lookup."""
    with pytest.raises(ValueError, match="finite"):
        evaluate("1e999", scope)


def test_complex_intermediate_is_rejected():
    """(-4)^0.5 is not a real number, so abs((-4)^0.5) is an error like (-4)^0.5 itself and pow(-4, 0.5)."""
    with pytest.raises(ValueError, match="cannot evaluate pow"):
        evaluate("abs(pow(-4, 0.5))", {})
    with pytest.raises(ValueError):
        evaluate("abs((-4)^0.5)", {})


@pytest.mark.parametrize("text, expected", [
    (" + ".join(["1"] * 100_000), 100_000.0),
    ("(" * 100_000 + "3" + ")" * 100_000, 3.0),
    ("-" * 100_001 + "2", -2.0),
    ("1^" * 100_000 + "2", 1.0),
    ("sqrt(" * 10_000 + "1" + ")" * 10_000, 1.0),
])
def test_long_and_deep_expressions_evaluate_without_recursion(text, expected):
    """Neither the shunting-yard pass nor the stack evaluation recurses."""
    assert evaluate(text, {}) == expected


def test_random_expressions_match_python():
    """Seeded random expressions over every operator, unary signs and functions give the
    value Python's own evaluator gives the same text (or both fail)."""
    rng = np.random.default_rng(11)
    pieces = ["1.5", "2", "0.25", "x", "y"]

    def draw(depth):
        roll = rng.random()
        if depth == 0 or roll < 0.2:
            return str(rng.choice(pieces))
        if roll < 0.3:
            return f"-{draw(depth - 1)}"
        if roll < 0.4:
            return f"{rng.choice(['abs', 'sqrt', 'exp'])}({draw(depth - 1)})"
        if roll < 0.45:
            return f"min({draw(depth - 1)}, {draw(depth - 1)}, {draw(depth - 1)})"
        op = rng.choice(['+', '-', '*', '/', '**'])
        if op == "**":  # a non-negative base: circuitnet refuses the complex powers Python makes
            return f"abs({draw(depth - 1)}) ** {draw(depth - 1)}"
        return f"({draw(depth - 1)}) {op} {draw(depth - 1)}"

    scope = {"x": 0.75, "y": -1.25}
    for _ in range(300):
        text = draw(4)
        try:
            expected = eval(text, {"__builtins__": {}, "abs": abs, "min": min, "sqrt": math.sqrt,
                                   "exp": math.exp}, dict(scope))
        except (ArithmeticError, ValueError):
            with pytest.raises(ValueError):
                evaluate(text, scope)
            continue
        if not math.isfinite(expected):
            with pytest.raises(ValueError):
                evaluate(text, scope)
        else:
            assert evaluate(text, scope) == expected, text
