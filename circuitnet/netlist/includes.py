"""`.include` and `.lib`: the cards of other files, put in place of the card that names them.

    .include FILE        (or .inc FILE)   every card of FILE
    .lib FILE SECTION                     the cards between `.lib SECTION` and `.endl` in FILE

FILE may be quoted ("..." or '...', for names with blanks) and keeps its case; SECTION
is case-insensitive. A relative FILE is found from the directory of the file whose card
names it, as ngspice does, so a library can include its neighbours; for a deck given as
text (`parse_netlist(text)`, file name "<string>" or another name without a directory)
that is the current directory. `~` is the home directory.

As in ngspice, an included file has no title line (its first line is a card), a `.end`
in it is ignored, and a library file's cards outside its sections are ignored. Inside a
section, `.include` and `.lib FILE SECTION` nest (another section of the same file too).
Cards after the deck's own `.end` and inside `.control` blocks are left as they are.

Every card keeps the Location of the file and line it was read from, so errors in an
included file name that file. A missing or unreadable file, a missing section and an
include cycle are errors at the including card.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Iterator

from ..errors import NetlistSyntaxError
from .lexer import Card, lex

_INCLUDE = frozenset({".include", ".inc"})
_WORD = re.compile(r"\"([^\"]*)\"|'([^']*)'|([^\s\"']+)|([\"'])")


def _arguments(card: Card) -> list[str]:
    """The words after the card's first word, from its original text: a quoted word
    ("..." or '...') is one word without its quotes; words keep their case."""
    parts = card.location.card.strip().split(None, 1)
    words = []
    for double, single, bare, stray in _WORD.findall(parts[1] if len(parts) > 1 else ""):
        if stray:
            raise NetlistSyntaxError(f"a file name's {stray} has no closing {stray}", card.location)
        words.append(double or single or bare)
    return words


@dataclass
class _Open:
    """A file (or library section) being expanded: its cards, the directory its relative
    names are found from, the chain of includes that opened it, and whether it is the deck."""

    cards: list[Card]
    directory: str
    chain: tuple[tuple[str, str | None], ...]
    top: bool
    rest: Iterator[tuple[int, Card]] = field(init=False)

    def __post_init__(self) -> None:
        self.rest = enumerate(self.cards)


class _Resolver:
    """One deck's expansion: lexed files cached by real path, the chain of open includes."""

    def __init__(self) -> None:
        self._files: dict[str, list[Card]] = {}

    def expand(self, deck: _Open) -> list[Card]:
        """The cards of `deck`, included files expanded in place, depth first with an
        explicit stack (the nesting depth comes from the input)."""
        out: list[Card] = []
        stack = [deck]
        in_control = False
        while stack:
            source = stack[-1]
            for k, card in source.rest:
                if card.directive:
                    out.append(card)
                    continue
                word = card.text.split(None, 1)[0]
                if in_control:
                    in_control = word != ".endc"
                elif word == ".control":
                    in_control = True
                elif word in _INCLUDE:
                    stack.append(self._include(card, source))
                    break
                elif word == ".lib":
                    stack.append(self._library(card, source))
                    break
                elif word == ".endl":
                    raise NetlistSyntaxError(".endl without a .lib section (sections belong in the "
                                             "library file that .lib FILE SECTION reads)", card.location)
                elif word == ".end":
                    if source.top:
                        return out + source.cards[k:]
                    continue  # ngspice ignores .end in an included file
                out.append(card)
            else:
                stack.pop()
        return out

    def _read(self, card: Card, path: str, what: str) -> tuple[str, list[Card]]:
        """(real path, cards) of the file at `path`, lexed once per deck."""
        real = os.path.realpath(path)
        if real not in self._files:
            try:
                with open(path, encoding="utf-8", errors="replace") as handle:
                    text = handle.read()
            except OSError as error:
                raise NetlistSyntaxError(f"cannot read {what} {path}: {error.strerror or error}",
                                         card.location) from None
            self._files[real] = lex(text, path, title=False)[1]
        return real, self._files[real]

    @staticmethod
    def _path(name: str, directory: str) -> str:
        name = os.path.expanduser(name)
        return name if os.path.isabs(name) else os.path.join(directory, name)

    @staticmethod
    def _check_cycle(card: Card, key: tuple[str, str | None], chain, path: str) -> None:
        if key in chain:
            names = [os.path.basename(real) + (f" {section}" if section else "") for real, section in chain]
            last = os.path.basename(path) + (f" {key[1]}" if key[1] else "")
            raise NetlistSyntaxError(f"include cycle: {' -> '.join(names[chain.index(key):] + [last])}",
                                     card.location)

    def _include(self, card: Card, source: _Open) -> _Open:
        """The file an `.include` card of `source` names, to expand next."""
        words = _arguments(card)
        keyword = card.text.split(None, 1)[0]
        if len(words) != 1:
            raise NetlistSyntaxError(f"{keyword} needs one file name: {keyword} FILE (quote a "
                                     f"name with blanks)", card.location)
        path = self._path(words[0], source.directory)
        real, cards = self._read(card, path, "included file")
        key = (real, None)
        self._check_cycle(card, key, source.chain, path)
        return _Open(cards, os.path.dirname(path), source.chain + (key,), top=False)

    def _library(self, card: Card, source: _Open) -> _Open:
        """The library section a `.lib FILE SECTION` card of `source` names, to expand next."""
        words = _arguments(card)
        if len(words) != 2:
            raise NetlistSyntaxError(".lib needs a file and a section: .lib FILE SECTION (a "
                                     ".lib SECTION ... .endl block belongs in the library file)",
                                     card.location)
        path, section = self._path(words[0], source.directory), words[1].lower()
        real, cards = self._read(card, path, "library")
        key = (real, section)
        self._check_cycle(card, key, source.chain, path)
        sections = _sections(cards)
        if section not in sections:
            known = ", ".join(sorted(sections)) or "none"
            raise NetlistSyntaxError(f"library {path} has no section {section!r} (its sections: "
                                     f"{known})", card.location)
        return _Open(sections[section], os.path.dirname(path), source.chain + (key,), top=False)


def _sections(cards: list[Card]) -> dict[str, list[Card]]:
    """A library file's `.lib NAME` ... `.endl` sections: name -> the cards between."""
    sections: dict[str, list[Card]] = {}
    opened: tuple[str, Card] | None = None
    body: list[Card] = []
    for card in cards:
        words = card.text.split() if not card.directive else []
        if words[:1] == [".lib"] and len(words) == 2:
            if opened is not None:
                raise NetlistSyntaxError(f".lib {words[1]} inside section {opened[0]!r}: close it "
                                         f"with .endl first", card.location)
            opened, body = (words[1], card), []
        elif words[:1] == [".endl"]:
            if opened is None:
                raise NetlistSyntaxError(".endl without a .lib section", card.location)
            if len(words) > 1 and words[1] != opened[0]:
                raise NetlistSyntaxError(f"'.endl {words[1]}' closes section {opened[0]!r}", card.location)
            sections.setdefault(opened[0], body)
            opened = None
        elif opened is not None:
            body.append(card)
    if opened is not None:
        raise NetlistSyntaxError(f".lib {opened[0]} has no matching .endl", opened[1].location)
    return sections


def expand_includes(cards: list[Card], filename: str) -> list[Card]:
    """The deck's cards with every `.include`/`.inc` and `.lib FILE SECTION` card replaced
    by the cards it names, recursively (see the module docstring).

    Args:
        cards: the deck's cards (`lexer.lex`).
        filename: the deck's file; relative names are found from its directory (from the
            current directory when it has none, such as "<string>").

    Raises:
        NetlistSyntaxError: a malformed card, a file that cannot be read, a missing
            section, an unclosed section, an include cycle; at the card concerned.
    """
    if not any(card.text.startswith((".inc", ".lib", ".endl")) for card in cards):
        return cards
    chain = ((os.path.realpath(filename), None),) if os.path.isfile(filename) else ()
    return _Resolver().expand(_Open(cards, os.path.dirname(filename), chain, top=True))
