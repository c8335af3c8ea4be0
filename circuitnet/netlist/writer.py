"""Circuit -> flat netlist text that `ngspice -b` runs unchanged and `parse_netlist` reads
back to an equal Circuit.

Values are written with `repr`, so they read back bit-identically. circuitnet's metadata
goes into `*@` directive lines, which ngspice reads as comments. What circuitnet keeps
without simulating it is written back too, so the deck still runs in ngspice: a source's
AC and transient specifications (`Element.spec`) after its DC value (which ngspice's
`.op` then uses), a K card's inductor names, instance parameters as NAME=VALUE, and the
circuit's temperatures and GMIN as one `.options` card.

An ideal diode has no SPICE counterpart. A model declared ideal without `.model`
parameters of its own is written as a near-ideal ngspice diode (`ideal_spice_params`):
for vf = 0, IS=1e-15 A and N=1e-4, whose forward drop is 0.071 mV at 1 mA (and
0.006 mV more per decade of current: 0.036 mV at 1 nA, 0.10 mV at 100 A); for
vf > 0.1 mV, IS and N are chosen so that the drop
is exactly vf at 1 mA, with a slope of vf*ln(10)/ln(1 mA/1e-20 A), about 6 % of vf per
decade of current (ngspice stops honouring IS below about 1e-25 A, which bounds how
sharp the knee can be made). The directive line `*@ ideal NAME vf=... approx` tells
circuitnet to read the model back as ideal and to drop those stand-in parameters.
"""
from __future__ import annotations

import math
import os
import re

from ..errors import CircuitValidationError
from ..model.circuit import SPICE_OPTION_FIELDS, Bounds, Circuit, DcSweep
from ..model.elements import DIODE_DEFAULTS, DiodeModel, Element
from ..model.physics import THERMAL_VOLTAGE
from .units import format_value

#: the current at which the stand-in for an ideal diode drops exactly vf (amperes).
REFERENCE_CURRENT = 1e-3
_IS_IDEAL, _N_IDEAL, _IS_FLOOR = 1e-15, 1e-4, 1e-20

_NAME = re.compile(r"[^\s=(),{}';$]+")
_DEFAULTS = Circuit()
_DEFAULT_TRAINABLE = _DEFAULTS.trainable


def ideal_spice_params(vf: float) -> dict[str, float]:
    """ngspice diode parameters that stand in for an ideal diode with forward voltage `vf`.

    Returns:
        {"is": amperes, "n": emission coefficient}; see the module docstring for the
        forward-drop error this costs (`spice_forward_drop` computes it).

    Raises:
        CircuitValidationError: vf < 0, which a SPICE diode cannot approximate.
    """
    if not vf >= 0.0:
        raise CircuitValidationError(f"cannot write an ideal diode with vf={vf!r} V as a SPICE "
                                     f"diode: vf must be >= 0")
    n = vf / (THERMAL_VOLTAGE * math.log(REFERENCE_CURRENT / _IS_FLOOR))
    if n > _N_IDEAL:
        return {"is": _IS_FLOOR, "n": n}
    n = _N_IDEAL
    saturation = min(_IS_IDEAL, REFERENCE_CURRENT * math.exp(-vf / (n * THERMAL_VOLTAGE)))
    return {"is": saturation, "n": n}


def spice_forward_drop(params: dict[str, float], current: float) -> float:
    """Forward voltage (volts) of a Shockley diode with `params` ("is", "n") at `current` amperes."""
    n_vt = params.get("n", DIODE_DEFAULTS["n"]) * THERMAL_VOLTAGE
    return n_vt * math.log1p(current / params.get("is", DIODE_DEFAULTS["is"]))


def _checked(name: str, what: str) -> str:
    if _NAME.fullmatch(name) is None:
        raise CircuitValidationError(f"{what} {name!r} cannot be written in a netlist: names "
                                     f"must be non-empty, without blanks or any of =(),{{}}';$")
    return name


def _directive_lines(circuit: Circuit) -> list[str]:
    lines = []
    if circuit.inputs is not None:
        spec = circuit.inputs
        line = "*@ input " + " ".join(spec.sources)
        if spec.gain != 1.0:
            line += f" gain={format_value(spec.gain)}"
        lines.append(line + (" mirror" if spec.mirror else ""))
    if circuit.outputs:
        lines.append("*@ output " + " ".join(circuit.outputs))
    if circuit.trainable != _DEFAULT_TRAINABLE:
        lines.append(" ".join(["*@ trainable", *circuit.trainable]))
    if circuit.bounds != Bounds():
        lines.append(f"*@ bounds gmin={format_value(circuit.bounds.gmin)} "
                     f"gmax={format_value(circuit.bounds.gmax)}")
    return lines


def _model_lines(model: DiodeModel) -> list[str]:
    name = _checked(model.name, "model name")
    params = model.params
    lines = []
    if model.ideal:
        approximate = not params
        lines.append(f"*@ ideal {name} vf={format_value(model.vf)}" + (" approx" if approximate else ""))
        if approximate:
            params = ideal_spice_params(model.vf)
            drop = spice_forward_drop(params, REFERENCE_CURRENT)
            slope = params["n"] * THERMAL_VOLTAGE * math.log(10.0)
            lines.append(f"* {name} is ideal (vf={model.vf:g} V); ngspice gets a near-ideal diode "
                         f"whose forward drop is {drop * 1e3:.4g} mV at 1 mA and "
                         f"{slope * 1e3:.3g} mV more per decade of current")
    body = " ".join(f"{key}={format_value(value)}" for key, value in params.items())
    lines.append(f".model {name} D ({body})" if body else f".model {name} D")
    return lines


def _dc_card(sweep: DcSweep) -> str:
    words = [".dc"]
    while sweep is not None:
        words += [sweep.source, *map(format_value, (sweep.start, sweep.stop, sweep.step))]
        sweep = sweep.second
    return " ".join(words)


def _element_card(element: Element) -> str:
    kind = element.kind
    name = element.name
    if name[:1].upper() != kind.letter:
        name = kind.letter.lower() + name  # ngspice knows the kind by the first letter
    words = [_checked(name, "element name")]
    words += [_checked(node, f"node of {element.name}") for node in element.nodes]
    if kind.takes_model:
        words.append(element.model)
    else:
        if kind.references:  # a K card's inductor names come before its value
            words += [_checked(ref, f"element named by {element.name}") for ref in (element.spec or "").split()]
        if kind.dc_keyword:
            words.append("dc")
        words.append(format_value(element.value))
        if element.spec and not kind.references:  # a source's AC and transient specifications
            words.append(element.spec)
    words += [f"{_checked(key, f'parameter of {element.name}')}={format_value(value)}"
              for key, value in element.params.items()]
    return " ".join(words)


def _options_line(circuit: Circuit) -> list[str]:
    """`.options temp= tnom= gmin=` for the fields that differ from ngspice's defaults."""
    words = [f"{key}={format_value(getattr(circuit, key))}" for key in SPICE_OPTION_FIELDS
             if getattr(circuit, key) != getattr(_DEFAULTS, key)]
    return [".options " + " ".join(words)] if words else []


def write_netlist(circuit: Circuit, path: str | os.PathLike[str] | None = None, *,
                  analysis: str | None = ".op") -> str:
    """Write a circuit as a flat netlist.

    Args:
        circuit: the circuit; element names should start with their SPICE letter (a name
            that does not is written with the letter put in front, as ngspice requires).
        path: when given, the file the netlist text is also written to (UTF-8, replaced
            if it exists).
        analysis: the analysis card written before `.end`, or None for none (then the
            circuit's `.dc` card is not written either).

    Returns:
        The netlist text: title, `*@` directives, `.options temp= tnom= gmin=` (those
        not at ngspice's defaults), `.model` cards, element cards in circuit order (with
        their AC and transient specifications and instance parameters), the analysis card, the circuit's `.dc` card, `.end`.

    Raises:
        CircuitValidationError: a name that cannot be written, an ideal diode with vf < 0.
        ValueError: a non-finite value.
        OSError: `path` cannot be written (nothing is written when the circuit cannot be).
    """
    lines = [circuit.title.replace("\r", " ").replace("\n", " ").strip()]
    lines += _directive_lines(circuit)
    lines += _options_line(circuit)
    for model in circuit.models.values():
        lines += _model_lines(model)
    lines += [_element_card(element) for element in circuit.elements.values()]
    if analysis:
        lines.append(analysis)
        if circuit.dc is not None:
            lines.append(_dc_card(circuit.dc))
    lines.append(".end")
    text = "\n".join(lines) + "\n"
    if path is not None:
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)
    return text
