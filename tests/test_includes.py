""".include / .inc / .lib FILE SECTION (circuitnet.netlist.includes): resolution relative to
the including file, errors that name the file and line, and agreement with ngspice."""
from __future__ import annotations

from pathlib import Path

import pytest
from ngspice_util import assert_same_voltages, run_ngspice_op, spice_test

from circuitnet import NetlistSyntaxError
from circuitnet.netlist import parse_netlist, read_netlist, write_netlist
from circuitnet.solvers import solve


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


@pytest.fixture
def library(tmp_path: Path) -> Path:
    """models/corners.lib (sections tt and ff; tt nests a section of models/more.lib) and
    models/parts/divider.inc (a subcircuit); returns the folder."""
    write(tmp_path / "models" / "corners.lib",
          "* a library: cards outside sections are ignored\nR99 in 0 1\n"
          ".lib TT\nRtop in out 2k\n.lib 'more.lib' extra\n.model dm D (is=2e-14)\n.endl tt\n"
          ".lib ff\nRtop in out 500\n.model dm D (is=5e-14)\n.endl\n")
    write(tmp_path / "models" / "more.lib", ".lib extra\nRextra in 0 4k\n.endl extra\n")
    write(tmp_path / "models" / "parts" / "divider.inc",
          "Rfirst in 0 10k\n.subckt half a b\nR1 a m 1k\nR2 m b 1k\n.ends\n.end\nRafter in 0 20k\n")
    return tmp_path


DECK = ("included deck\nV1 in 0 DC 2\n.include \"models/parts/divider.inc\"\n"
        ".lib models/corners.lib {corner}\nX1 out 0 half\nD1 out 0 dm\n.op\n.end\n")


def test_include_and_lib_resolve_relative_to_the_including_file(library):
    circuit = read_netlist(write(library / "deck.cir", DECK.format(corner="tt")))
    names = set(circuit.elements)
    # the included file's first line is a card; its .end is ignored (as in ngspice); the
    # library's cards outside sections are not read; more.lib is found next to corners.lib
    assert {"rfirst", "rafter", "rtop", "rextra", "r.x1.r1", "r.x1.r2", "d1", "v1"} == names
    assert circuit.elements["rtop"].value == 2000.0
    assert circuit.models["dm"].params == {"is": 2e-14}
    assert circuit.elements["rtop"].location.file == str(library / "models" / "corners.lib")
    assert circuit.elements["rtop"].location.line == 4
    assert circuit.elements["rextra"].location.file == str(library / "models" / "more.lib")
    ff = read_netlist(write(library / "ff.cir", DECK.format(corner="FF")))  # sections: any case
    assert ff.elements["rtop"].value == 500.0 and "rextra" not in ff.elements


def test_inc_with_quotes_and_blanks_and_nesting_from_an_included_folder(tmp_path):
    write(tmp_path / "my parts" / "a.inc", ".inc 'sub/b.inc'\nRa x 0 1k\n")
    write(tmp_path / "my parts" / "sub" / "b.inc", "Rb x 0 2k\n")
    circuit = read_netlist(write(tmp_path / "deck.cir", "t\nV1 x 0 1\n.INC \"my parts/a.inc\"\n"))
    assert list(circuit.elements) == ["v1", "rb", "ra"]


def test_an_include_inside_a_subcircuit_puts_its_cards_there(tmp_path):
    write(tmp_path / "body.inc", "R1 a b 1k\n")
    circuit = read_netlist(write(tmp_path / "deck.cir",
                                 "t\n.subckt s a b\n.include body.inc\n.ends\nX1 n 0 s\nV1 n 0 1\n"))
    assert "r.x1.r1" in circuit.elements


def test_a_string_resolves_relative_to_the_current_directory(tmp_path, monkeypatch):
    write(tmp_path / "part.inc", "R1 a 0 1k\n")
    monkeypatch.chdir(tmp_path)
    assert "r1" in parse_netlist("t\nV1 a 0 1\n.include part.inc\n").elements
    assert "r1" in parse_netlist("t\nV1 a 0 1\n.include part.inc\n", "deck.cir").elements


def test_cards_after_end_and_inside_control_blocks_are_left_alone(tmp_path):
    """An .include in a .control block is not read; one after .end is not read either, and
    is an error as every card after .end is (ngspice would read it)."""
    circuit = read_netlist(write(tmp_path / "deck.cir", "t\nV1 a 0 1\nR1 a 0 1\n.control\n"
                                                        ".include nowhere.inc\n.endc\n.end\n"))
    assert list(circuit.elements) == ["v1", "r1"]
    deck = write(tmp_path / "after.cir", "t\nV1 a 0 1\nR1 a 0 1\n.end\n.include gone.inc\n")
    fails(deck, "a card after .end", deck, 5)


def test_a_chain_of_600_includes_is_read_without_recursion(tmp_path):
    """Each of 600 files includes the next; the last holds the resistor."""
    for k in range(600):
        write(tmp_path / f"f{k}.inc", f".include f{k + 1}.inc\n" if k < 599 else "R1 a 0 1\n")
    circuit = read_netlist(write(tmp_path / "deck.cir", "t\nV1 a 0 1\n.include f0.inc\n"))
    assert list(circuit.elements) == ["v1", "r1"]
    assert circuit.elements["r1"].location.file == str(tmp_path / "f599.inc")


# -- errors ---------------------------------------------------------------------------------
def fails(path: Path, match: str, file: Path, line: int) -> NetlistSyntaxError:
    with pytest.raises(NetlistSyntaxError, match=match) as info:
        read_netlist(path)
    assert (info.value.location.file, info.value.location.line) == (str(file), line)
    assert str(info.value).startswith(f"{file}:{line}: ")
    return info.value


def test_a_missing_file_names_the_including_card(tmp_path):
    write(tmp_path / "a.inc", "R1 a 0 1\n.include missing.inc\n")
    deck = write(tmp_path / "deck.cir", "t\nV1 a 0 1\n.include a.inc\n")
    error = fails(deck, "cannot read included file .*missing.inc: No such file", tmp_path / "a.inc", 2)
    assert ".include missing.inc" in str(error)
    fails(write(tmp_path / "lib.cir", "t\n.lib 'nowhere.lib' tt\n"), "cannot read library", tmp_path / "lib.cir", 2)


def test_include_cycles_are_errors_at_the_card_that_closes_them(tmp_path):
    write(tmp_path / "a.inc", "R1 a 0 1\n.include b.inc\n")
    write(tmp_path / "b.inc", "R2 a 0 1\n\n.inc a.inc\n")
    deck = write(tmp_path / "deck.cir", "t\n.include a.inc\n")
    fails(deck, r"include cycle: a\.inc -> b\.inc -> a\.inc", tmp_path / "b.inc", 3)
    itself = write(tmp_path / "self.cir", "t\nR1 a 0 1\n.include self.cir\n")
    fails(itself, r"include cycle: self\.cir -> self\.cir", itself, 3)
    write(tmp_path / "loop.lib", ".lib one\n.lib loop.lib two\n.endl\n.lib two\n.lib loop.lib one\n.endl\n")
    fails(write(tmp_path / "lib.cir", "t\n.lib loop.lib one\n"),
          r"include cycle: loop\.lib one -> loop\.lib two -> loop\.lib one", tmp_path / "loop.lib", 5)


def test_the_same_file_may_be_included_twice_without_a_cycle(tmp_path):
    write(tmp_path / "m.inc", ".model dm D\n")
    write(tmp_path / "two.lib", ".lib a\nR1 x 0 1\n.endl\n.lib b\n.lib two.lib a\nR2 x 0 1\n.endl\n")
    circuit = read_netlist(write(tmp_path / "deck.cir", "t\nV1 x 0 1\n.lib two.lib b\n.include m.inc\n"))
    assert list(circuit.elements) == ["v1", "r1", "r2"] and "dm" in circuit.models


def test_library_errors(tmp_path):
    write(tmp_path / "c.lib", ".lib tt\nR1 a 0 1\n.endl\n.lib ff\nR1 a 0 2\n.endl ff\n")
    deck = write(tmp_path / "deck.cir", "t\nV1 a 0 1\n.lib c.lib ss\n")
    fails(deck, r"library .*c\.lib has no section 'ss' \(its sections: ff, tt\)", deck, 3)
    write(tmp_path / "open.lib", ".lib tt\nR1 a 0 1\n")
    fails(write(tmp_path / "d2.cir", "t\n.lib open.lib tt\n"), ".lib tt has no matching .endl",
          tmp_path / "open.lib", 1)
    write(tmp_path / "wrong.lib", ".lib tt\n.endl ff\n")
    fails(write(tmp_path / "d3.cir", "t\n.lib wrong.lib tt\n"), "'.endl ff' closes section 'tt'",
          tmp_path / "wrong.lib", 2)
    fails(write(tmp_path / "d4.cir", "t\n.lib tt\nR1 a 0 1\n.endl\n"), ".lib needs a file and a section",
          tmp_path / "d4.cir", 2)
    fails(write(tmp_path / "d5.cir", "t\n.include 'unclosed.inc\n"), "has no closing '", tmp_path / "d5.cir", 2)
    fails(write(tmp_path / "d6.cir", "t\n.include a.inc b.inc\n"), ".include needs one file name",
          tmp_path / "d6.cir", 2)
    fails(write(tmp_path / "d7.cir", "t\n.include\n"), ".include needs one file name", tmp_path / "d7.cir", 2)


def test_errors_inside_an_included_file_name_that_file_and_line(tmp_path):
    write(tmp_path / "bad.inc", "* parts\nR1 a 0 1k\nR2 a 0 -5\n")
    deck = write(tmp_path / "deck.cir", "t\nV1 a 0 1\n.include bad.inc\n")
    fails(deck, r"'R2 a 0 -5': r2: resistance must be positive", tmp_path / "bad.inc", 3)
    write(tmp_path / "sub" / "q.lib", ".lib tt\n\nQ1 c b e npn\n.endl\n")
    fails(write(tmp_path / "d2.cir", "t\n.lib sub/q.lib tt\n"), "bipolar transistors",
          tmp_path / "sub" / "q.lib", 3)


# -- ngspice ----------------------------------------------------------------------------------
@spice_test
def test_an_included_deck_agrees_with_ngspice_reading_the_same_files(library):
    # absolute names in the deck (ngspice runs it from a temporary folder); the library's own
    # relative `.lib 'more.lib' extra` is resolved from the library's folder by both readers
    text = (DECK.format(corner="tt").replace('"models/parts/divider.inc"', str(library / "models" / "parts" / "divider.inc"))
            .replace("models/corners.lib", str(library / "models" / "corners.lib"))
            .replace(".op", ".options reltol=1e-9 abstol=1e-15 vntol=1e-12\n.op"))
    reference = run_ngspice_op(text)
    circuit = parse_netlist(text, str(library / "deck.cir"))
    solution = solve(circuit, solver="auto")
    assert_same_voltages({n: float(solution.voltage(n)[0]) for n in circuit.nodes}, reference, rel=1e-9)
    flat = write_netlist(circuit).replace(".op", ".options reltol=1e-9 abstol=1e-15 vntol=1e-12\n.op")
    assert_same_voltages(run_ngspice_op(flat), reference, rel=1e-9)  # the flat deck circuitnet writes
