"""A small, safe evaluator for `{expr}` parameter expressions.

Arithmetic `+ - * / **` (`^` is a synonym of `**`), parentheses, unary minus, SPICE
numbers with scale suffixes (`2k`), parameter names and the functions sqrt, exp, log,
abs, min, max and pow. The text is tokenized here, turned into a Python expression and
parsed with `ast`; only the node types listed above are evaluated, nothing is `eval`ed.
"""
from __future__ import annotations

import ast
import math
import re
from functools import lru_cache
from typing import Callable, Mapping

from .units import parse_value

FUNCTIONS: dict[str, Callable[..., float]] = {
    "sqrt": math.sqrt, "exp": math.exp, "log": math.log, "abs": abs,
    "min": min, "max": max, "pow": math.pow,
}

_TOKEN = re.compile(
    r"\s*(?:(?P<num>(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?[a-z]*)"
    r"|(?P<name>[a-z_][a-z0-9_]*)"
    r"|(?P<op>\*\*|[-+*/^(),]))",
    re.IGNORECASE | re.ASCII,  # full-width digits are not numbers
)
TOO_LONG = "the expression is too long or too deeply nested; split it into .param lines"
_PREFIX = "p_"  # parameter names are prefixed so that none collides with a Python keyword

_BINARY = {
    ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b, ast.Div: lambda a, b: a / b,
    ast.Pow: lambda a, b: a ** b,
}


@lru_cache(maxsize=4096)
def _compile(text: str) -> ast.expr:
    pieces = []
    position = 0
    text = text.strip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise ValueError(f"unexpected character {text[position:].strip()[:1]!r}")
        position = match.end()
        if match["num"]:
            number = parse_value(match["num"])
            if not math.isfinite(number):
                raise ValueError(f"the number {match['num']!r} is not finite (too large for a float)")
            pieces.append(repr(number))
        elif match["name"]:
            pieces.append(_PREFIX + match["name"].lower())
        else:
            pieces.append("**" if match["op"] == "^" else match["op"])
    try:
        return ast.parse(" ".join(pieces), mode="eval").body
    except SyntaxError:
        raise ValueError("malformed expression") from None
    except (RecursionError, MemoryError):
        raise ValueError(TOO_LONG) from None


def _evaluate(node: ast.expr, scope: Mapping[str, float]) -> float:
    if isinstance(node, ast.Constant):
        return float(node.value)
    if isinstance(node, ast.Name):
        name = node.id[len(_PREFIX):]
        if name not in scope:
            raise ValueError(f"unknown parameter {name!r}")
        return scope[name]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        value = _evaluate(node.operand, scope)
        return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        value = _BINARY[type(node.op)](_evaluate(node.left, scope), _evaluate(node.right, scope))
        if isinstance(value, complex):
            raise ValueError(f"the value is not a finite real number ({value})")
        return value
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.keywords
            and node.func.id[len(_PREFIX):] in FUNCTIONS):
        name = node.func.id[len(_PREFIX):]
        args = [_evaluate(arg, scope) for arg in node.args]
        try:
            return float(FUNCTIONS[name](*args))
        except ValueError as error:
            raise ValueError(f"cannot evaluate {name}(): {error}") from None
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        raise ValueError(f"unknown function {node.func.id[len(_PREFIX):]!r} "
                         f"(known: {', '.join(sorted(FUNCTIONS))})")
    raise ValueError("unsupported expression syntax")


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
        value = _evaluate(_compile(text), scope)
    except (ArithmeticError, TypeError) as error:
        raise ValueError(f"cannot evaluate: {error}") from None
    except RecursionError:
        raise ValueError(TOO_LONG) from None
    if isinstance(value, complex) or not math.isfinite(value):
        raise ValueError(f"the value is not a finite real number ({value})")
    return value
