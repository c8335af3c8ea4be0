"""Netlist text -> logical cards.

A card is one SPICE statement: its `+` continuation lines joined, comments removed and
the text folded to lower case as ngspice folds it (ASCII letters only: `'İ'.lower()` would
make two characters of one and `'ı'.upper()` an I). The title (line 1) keeps its case. Lines that start with
`*@` are circuitnet directives: comments to ngspice, cards to circuitnet.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import Location, NetlistSyntaxError

_SPECIAL = re.compile(r"[{=(),']")
_SPLIT = re.compile(r"\{[^}]*\}?|'[^']*'?|[^\s=(),{']+|=")
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def fold_case(text: str) -> str:
    """`text` with its ASCII capitals in lower case, every other character as it is."""
    return text.translate(_ASCII_LOWER)


@dataclass(slots=True)
class Card:
    """One logical card.

    text: lower-case text, comments stripped, continuations joined by a space; for a
        directive, the text after `*@`.
    location: file, line of the card's first line, and the card's original text.
    directive: the card is a `*@` directive.
    """

    text: str
    location: Location
    directive: bool = False


def strip_inline_comment(line: str) -> str:
    """Remove a `;` comment, or a `$` comment (a dollar followed by a blank or the line end)."""
    cut = line.find(";")
    if cut < 0:
        cut = len(line)
    start = 0
    while True:
        dollar = line.find("$", start, cut)
        if dollar < 0:
            break
        if dollar + 1 == len(line) or line[dollar + 1] in " \t":
            cut = dollar
            break
        start = dollar + 1
    return line[:cut].rstrip()


def lex(text: str, filename: str = "<string>", *, title: bool = True) -> tuple[str, list[Card]]:
    """Split netlist text into its title and its cards.

    Args:
        text: the whole netlist.
        filename: the name used in every Location.
        title: the first line is the title (a deck); False for a file that `.include`
            or `.lib` reads, whose first line is a card like the others (as in ngspice).

    Returns:
        (title, cards): the first line, stripped, in its original case ("" when `title`
        is False); then the cards in file order. Comment lines (`*`), blank lines and inline comments are dropped; a
        `+` line continues the last card that is not a comment (as in ngspice, `*@`
        directives are comments there).

    Raises:
        NetlistSyntaxError: a continuation line with no card before it.
    """
    lines = text.splitlines()
    if not lines:
        return "", []
    lines[0] = lines[0].lstrip("\ufeff")
    heading = lines[0].strip() if title else ""
    cards: list[Card] = []
    last: Card | None = None
    for number, raw in enumerate(lines[1:] if title else lines, start=2 if title else 1):
        line = raw.strip()
        if not line:
            continue
        if ";" in line or "$" in line:
            line = strip_inline_comment(line)
            if not line:
                continue
        first = line[0]
        if first == "*":
            if line.startswith("*@"):
                body = line[2:].strip()
                cards.append(Card(fold_case(body), Location(filename, number, line), True))
            continue
        if first == "+":
            if last is None:
                raise NetlistSyntaxError(
                    "continuation line ('+') with no card before it to continue",
                    Location(filename, number, line))
            more = line[1:].strip()
            last.text = f"{last.text} {fold_case(more)}"
            old = last.location
            last.location = Location(old.file, old.line, f"{old.card} {more}")
            continue
        last = Card(fold_case(line), Location(filename, number, line))
        cards.append(last)
    return heading, cards


def tokens(text: str) -> list[str]:
    """Split a card into tokens: `{...}` and `'...'` stay whole, `a = 1` becomes `a=1`,
    parentheses and commas separate tokens."""
    if _SPECIAL.search(text) is None:
        return text.split()
    out: list[str] = []
    pieces = _SPLIT.findall(text)
    i = 0
    while i < len(pieces):
        piece = pieces[i]
        if piece == "=" and out:
            out[-1] += "=" + (pieces[i + 1] if i + 1 < len(pieces) else "")
            i += 2
            continue
        out.append(piece)
        i += 1
    return out
