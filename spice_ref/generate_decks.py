"""Regenerate the ngspice reference operating points of the deck corpus, spice_ref/decks/.

    python spice_ref/generate_decks.py            # writes spice_ref/decks/<deck>.json

spice_ref/decks/*.cir are hand-written SPICE decks of the kind analog designers write
(regulators, rectifiers, clippers, op-amp macromodels, EP neurons, ...), some reading
models and subcircuits from spice_ref/decks/models/ and parts/ with `.include` and `.lib`.
The one machine-made deck, the 300-stage diode ladder, is written here (`ladder_deck`).

Every deck runs as it is, by `ngspice -b` as a subprocess in the deck's own folder (so
relative include paths resolve as for the deck), with generate.OPTIONS appended for tight
tolerances, except the options the deck sets itself (a deck's own `gmin` is kept). The
rawfile is read back into spice_ref/decks/<deck>.json:

    {"netlist": path, "ngspice": version, "options": {...appended...},
     "nodes": {node: volts}, "currents": {branch: amperes}}

Branch currents are those ngspice reports: V, E, H sources and inductors, SPICE's sign.
tests/test_spice_decks.py compares circuitnet with these files without ngspice.
"""
from __future__ import annotations

import json
import re
import shutil
import sys
import tempfile
from pathlib import Path

from generate import OPTIONS, ROOT, ngspice_version, run_ngspice_file, with_options

DECKS = ROOT / "spice_ref" / "decks"
LADDER = "ladder_300_rs"
LADDER_STAGES = 300
_OPTIONS_CARD = re.compile(r"^\s*\.opt(?:ion)?s?\b(.*)$", re.I)


def ladder_deck(stages: int = LADDER_STAGES) -> str:
    """The RS diode ladder: per stage a 100 ohm series resistor, a 1N4148-like diode with
    series resistance to ground and 10k to ground, driven by 5 V."""
    lines = [f"{stages}-stage RS diode ladder: 100 ohm series, 1N4148-like diode (with RS) and 10k per stage",
             "* A long lossy line of diode shunts, the stiff case for relaxation solvers: the",
             "* voltage falls stage by stage from 5 V; each diode's RS puts an internal node",
             "* between its anode and junction. Written by spice_ref/generate_decks.py.",
             "Vin n0 0 DC 5"]
    for k in range(1, stages + 1):
        lines += [f"R{k} n{k - 1} n{k} 100", f"D{k} n{k} 0 dlad", f"Rg{k} n{k} 0 10k"]
    lines += [".model dlad D (IS=2.52n N=1.752 RS=0.568)", ".op", ".end"]
    return "\n".join(lines) + "\n"


def deck_options(text: str) -> set[str]:
    """The option names (lower case) a deck's own `.options` cards set."""
    names: set[str] = set()
    lines = text.splitlines()
    for k, line in enumerate(lines):
        match = _OPTIONS_CARD.match(line)
        if match is None:
            continue
        body = [match.group(1)]
        for following in lines[k + 1:]:
            if not following.startswith("+"):
                break
            body.append(following[1:])
        names.update(key.lower() for key in re.findall(r"(\w+)\s*=", " ".join(body)))
    return names


def reference_options(text: str) -> dict:
    """generate.OPTIONS less the options the deck sets itself."""
    own = deck_options(text)
    return {key: value for key, value in OPTIONS.items() if key not in own}


def reference(deck: Path, ngspice: str = "ngspice") -> dict:
    """ngspice's operating point of one deck file, with the reference options appended:
    {"options", "nodes", "currents"}. The appended copy sits beside the deck (a hidden
    temporary file) so that its includes resolve exactly as the deck's own."""
    text = deck.read_text()
    options = reference_options(text)
    with tempfile.NamedTemporaryFile("w", dir=deck.parent, prefix=f".{deck.stem}-", suffix=".cir") as copy:
        copy.write(with_options(text, options))
        copy.flush()
        result = run_ngspice_file(Path(copy.name), ngspice)
    return {"options": options, **result}


def decks() -> list[Path]:
    """The corpus: every spice_ref/decks/*.cir (included files live in subfolders)."""
    return sorted(DECKS.glob("*.cir"))


def main() -> int:
    """Write the ladder deck, run ngspice on every deck, write the JSON files."""
    ngspice = shutil.which("ngspice")
    if ngspice is None:
        print("ngspice is not installed: apt-get install ngspice", file=sys.stderr)
        return 1
    (DECKS / f"{LADDER}.cir").write_text(ladder_deck())
    version = ngspice_version(ngspice)
    for deck in decks():
        result = reference(deck, ngspice)
        record = {"netlist": str(deck.relative_to(ROOT)), "ngspice": version, **result}
        deck.with_suffix(".json").write_text(json.dumps(record, indent=1, sort_keys=True) + "\n")
        print(f"{deck.stem}: {len(result['nodes'])} nodes, {len(result['currents'])} branch currents")
    return 0


if __name__ == "__main__":
    sys.exit(main())
