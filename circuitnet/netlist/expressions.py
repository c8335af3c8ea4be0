"""A small, safe evaluator for `{expr}` parameter expressions.

Arithmetic `+ - * / **` (`^` is a synonym of `**`), parentheses, unary minus, SPICE
numbers with scale suffixes (`2k`), parameter names and the functions sqrt, exp, log,
abs, min, max and pow, with Python's precedence: `**` first (right-associative, and
tighter than a unary minus on its left: `-2^2` is -4, `2^-1` is 0.5), then unary `+ -`,
then `* /`, then `+ -`.

The text is tokenized, put in reverse Polish order by the shunting-yard algorithm and
evaluated on a stack. Neither step recurses, so a sum of a hundred thousand terms or
parentheses nested a hundred thousand deep are read like short expressions; nothing is
`eval`ed.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable, Mapping, Union

from .units import parse_value

FUNCTIONS: dict[str, Callable[..., float]] = {
    "sqrt": math.sqrt, "exp": math.exp, "log": math.log, "abs": abs,
    "min": min, "max": max, "pow": math.pow,
}

_TOKEN = re.compile(
    r"(?P<num>(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?[a-z]*)"
    r"|(?P<name>[a-z_][a-z0-9_]*)"
    r"|(?P<op>\*\*|[-+*/^(),])"
    r"|(?P<blank>\s+)|(?P<other>.)",
    re.IGNORECASE | re.ASCII | re.DOTALL,  # full-width digits are not numbers
)

_BINARY: dict[str, Callable[[float, float], float]] = {
    "+": lambda a, b: a + b, "-": lambda a, b: a - b,
    "*": lambda a, b: a * b, "/": lambda a, b: a / b,
    "**": lambda a, b: a ** b,
}
#: operator -> binding strength; "neg" is the unary minus (a unary plus is dropped).
_PRECEDENCE = {"+": 1, "-": 1, "*": 2, "/": 2, "neg": 3, "**": 4}

MALFORMED = "malformed expression"
UNSUPPORTED = "unsupported expression syntax"


@dataclass
class _Call:
    """A function call being read: its name and the arguments read so far."""

    name: str
    count: int = 0


#: one step of a compiled expression: ("num", value), ("name", parameter), ("neg", None),
#: ("call", (function, argument count)) or (binary operator, None).
_Step = tuple[str, Union[float, str, tuple[str, int], None]]
_Pending = Union[str, _Call]  # an operator, "(" or a call on the shunting-yard stack


def _tokens(text: str) -> list[tuple[str, str]]:
    """(kind, text) pairs, kind "num", "name" or "op" (`^` already spelled `**`)."""
    out = []
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup
        if kind == "blank":
            continue
        token = match.group()
        if kind == "other":
            raise ValueError(f"unexpected character {token!r}")
        out.append((kind, "**" if token == "^" else token.lower()))
    return out


def _number(text: str) -> float:
    number = parse_value(text)
    if not math.isfinite(number):
        raise ValueError(f"the number {text!r} is not finite (too large for a float)")
    return number


def _close(pending: list[_Pending], program: list[_Step]) -> _Pending | None:
    """Move operators from `pending` to `program` down to the innermost "(" or call,
    which is returned and left on `pending` (None when there is none)."""
    while pending:
        top = pending[-1]
        if top == "(" or isinstance(top, _Call):
            return top
        program.append((pending.pop(), None))
    return None


def _push_operator(op: str, pending: list[_Pending], program: list[_Step]) -> None:
    """Move the pending operators that bind at least as tightly as binary `op` (more
    tightly, for the right-associative `**`) to `program`, then push `op`."""
    strength = _PRECEDENCE[op]
    while pending and isinstance(pending[-1], str) and pending[-1] in _PRECEDENCE:
        other = _PRECEDENCE[pending[-1]]
        if other < strength or (other == strength and op == "**"):
            break
        program.append((pending.pop(), None))
    pending.append(op)


def _finish_call(call: _Call, pending: list[_Pending], program: list[_Step]) -> None:
    pending.pop()
    program.append(("call", (call.name, call.count)))


@lru_cache(maxsize=4096)
def _compile(text: str) -> tuple[_Step, ...]:
    """The expression in reverse Polish order; ValueError for malformed text."""
    tokens = _tokens(text)
    program: list[_Step] = []
    pending: list[_Pending] = []
    operand = True  # an operand comes next (else an operator, ")" or ",")
    k = 0
    while k < len(tokens):
        kind, token = tokens[k]
        k += 1
        if operand:
            if kind == "num":
                program.append(("num", _number(token)))
                operand = False
            elif kind == "name" and tokens[k:k + 1] == [("op", "(")]:
                if token not in FUNCTIONS:
                    raise ValueError(f"unknown function {token!r} (known: {', '.join(sorted(FUNCTIONS))})")
                pending.append(_Call(token))
                k += 1  # the call's "("
            elif kind == "name":
                program.append(("name", token))
                operand = False
            elif token == "(":
                pending.append("(")
            elif token == "-":
                pending.append("neg")
            elif token == "+":
                continue  # a unary plus changes nothing
            elif token == ")" and pending and isinstance(pending[-1], _Call) and pending[-1].count == 0:
                _finish_call(pending[-1], pending, program)  # f(): no arguments
                operand = False
            elif token == ")" and pending and pending[-1] == "(":
                raise ValueError(UNSUPPORTED)  # (), an empty tuple
            else:
                raise ValueError(MALFORMED)
        elif kind != "op":
            raise ValueError(MALFORMED)  # two operands in a row: "1 2"
        elif token in _BINARY:
            _push_operator(token, pending, program)
            operand = True
        elif token in (")", ","):
            opened = _close(pending, program)
            if opened is None:
                raise ValueError(MALFORMED if token == ")" else UNSUPPORTED)
            if isinstance(opened, _Call):
                opened.count += 1
                if token == ")":
                    _finish_call(opened, pending, program)
                else:
                    operand = True
            elif token == ")":
                pending.pop()
            else:
                raise ValueError(UNSUPPORTED)  # (1, 2), a tuple
        else:
            raise ValueError(UNSUPPORTED)  # "(1)(2)": only names are called
    if operand or _close(pending, program) is not None:
        raise ValueError(MALFORMED)
    return tuple(program)


def _call(name: str, args: list[float]) -> float:
    try:
        return float(FUNCTIONS[name](*args))
    except ValueError as error:
        raise ValueError(f"cannot evaluate {name}(): {error}") from None


def _run(program: tuple[_Step, ...], scope: Mapping[str, float]) -> float:
    stack: list[float] = []
    for code, arg in program:
        if code == "num":
            stack.append(arg)
        elif code == "name":
            if arg not in scope:
                raise ValueError(f"unknown parameter {arg!r}")
            stack.append(scope[arg])
        elif code == "neg":
            stack[-1] = -stack[-1]
        elif code == "call":
            name, count = arg
            args = stack[len(stack) - count:]
            del stack[len(stack) - count:]
            stack.append(_call(name, args))
        else:
            right = stack.pop()
            value = _BINARY[code](stack[-1], right)
            if isinstance(value, complex):
                raise ValueError(f"the value is not a finite real number ({value})")
            stack[-1] = value
    return stack[0]


def evaluate(text: str, scope: Mapping[str, float]) -> float:
    """Evaluate a parameter expression.

    Args:
        text: the expression without its braces, e.g. "2*rload + 1k".
        scope: parameter name (lower case) -> value.

    Returns:
        The value, a finite float.

    Raises:
        ValueError: malformed text, unknown name or function, arithmetic error, or a
            result that is not finite; the message says which.
    """
    try:
        value = _run(_compile(text), scope)
    except (ArithmeticError, TypeError) as error:
        raise ValueError(f"cannot evaluate: {error}") from None
    if not math.isfinite(value):
        raise ValueError(f"the value is not a finite real number ({value})")
    return float(value)
