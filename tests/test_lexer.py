"""Tests of circuitnet.netlist.lexer: lines -> logical cards."""
import pytest

from circuitnet import Location, NetlistSyntaxError
from circuitnet import parse_netlist
from circuitnet.netlist.lexer import fold_case, lex, strip_inline_comment, tokens


def texts(netlist):
    return [card.text for card in lex(netlist)[1]]


def test_first_line_is_the_title_in_its_case():
    title, cards = lex("My Circuit *with* R1 a b 1k\nR1 A B 1K\n")
    assert title == "My Circuit *with* R1 a b 1k"
    assert [c.text for c in cards] == ["r1 a b 1k"]


def test_empty_text_has_no_title_and_no_cards():
    assert lex("") == ("", [])


def test_byte_order_mark_is_dropped_from_the_title():
    assert lex("\ufefftitle\n")[0] == "title"


def test_comment_and_blank_lines_are_skipped():
    assert texts("t\n* a comment\n\n   \n  * indented comment\nR1 a b 1\n") == ["r1 a b 1"]


def test_directives_are_kept_without_their_marker():
    cards = lex("t\n*@ Input Vx0 Vx1\n* plain comment\n")[1]
    assert [(c.text, c.directive) for c in cards] == [("input vx0 vx1", True)]


@pytest.mark.parametrize("line, expected", [
    ("r1 a b 1k ; comment", "r1 a b 1k"),
    ("r1 a b 1k;comment", "r1 a b 1k"),
    ("r1 a b 1k $ comment", "r1 a b 1k"),
    ("r1 a b 1k $", "r1 a b 1k"),
    ("r1 a b 1k $\tcomment", "r1 a b 1k"),
    ("r1 a$b c 1k", "r1 a$b c 1k"),
    ("r1 a$b c 1k $ x ; y", "r1 a$b c 1k"),
])
def test_inline_comments(line, expected):
    assert strip_inline_comment(line) == expected
    assert texts(f"t\n{line}\n") == [expected]


def test_a_line_that_is_only_an_inline_comment_is_skipped():
    assert texts("t\n; nothing\n$ nothing\nR1 a b 1\n") == ["r1 a b 1"]


def test_continuation_lines_are_joined():
    cards = lex("t\nR1 a\n+ b\n+   2k ; value\nV1 b 0 1\n", "f.cir")[1]
    assert [c.text for c in cards] == ["r1 a b 2k", "v1 b 0 1"]
    assert cards[0].location == Location("f.cir", 2, "R1 a b 2k")
    assert cards[1].location.line == 5


def test_continuation_skips_comment_lines_and_directives_like_ngspice():
    cards = lex("t\nR1 a b\n* comment\n*@ output a\n+ 1k\n")[1]
    assert [(c.text, c.directive) for c in cards] == [("r1 a b 1k", False), ("output a", True)]


def test_continuation_without_a_card_is_an_error():
    with pytest.raises(NetlistSyntaxError, match=r"f\.cir:2:.*continuation"):
        lex("t\n+ 1k\n", "f.cir")


def test_cards_are_case_folded_but_locations_keep_the_original():
    card = lex("t\nRLoad OUT Gnd 1MEG\n")[1][0]
    assert card.text == "rload out gnd 1meg"
    assert card.location.card == "RLoad OUT Gnd 1MEG"


def test_line_numbers_are_one_based_and_count_every_line():
    cards = lex("t\n\n* c\nR1 a b 1\r\n\r\nR2 a b 2\n")[1]
    assert [c.location.line for c in cards] == [4, 6]


def test_tokens_keep_braces_and_join_equals():
    assert tokens("r1 a b {2 * x}") == ["r1", "a", "b", "{2 * x}"]
    assert tokens(".param a = 1 b= {a*(2+1)}") == [".param", "a=1", "b={a*(2+1)}"]
    assert tokens(".model d d(is=1, n=2)") == [".model", "d", "d", "is=1", "n=2"]


@pytest.mark.parametrize("card, match", [
    ("\u01311 a 0 1m", "elements of letter '\u0131' are not supported"),  # dotless i: 'ı'.upper() == 'I'
    ("\u01301 a 0 1m", "elements of letter '\u0130' are not supported"),  # 'İ'.lower() is two characters
    ("V1 a 0 \uff11", "cannot read DC value '\uff11'"),  # a full-width digit is not a number
    (".param x={\uff11+1}", "unexpected character '\uff11'"),
])
def test_only_ascii_letters_and_digits_have_spice_meaning(card, match):
    with pytest.raises(NetlistSyntaxError, match=match):
        parse_netlist(f"t\n{card}\nR1 a 0 1k\n.end\n")


def test_case_folding_is_ascii_only_as_in_ngspice():
    assert fold_case("R1 NODE_\u00c4 0 1K") == "r1 node_\u00c4 0 1k"
