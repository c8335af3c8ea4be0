"""The DC law of a junction diode as ngspice's level-1 diode computes it.

A `.model NAME D (...)` card and a `D` card's instance parameters (area, m, temp, dtemp)
at the circuit's temperature (`.temp`, `.options temp= tnom=`) give one `Junction`: the
saturation current, emission voltage, series resistance, breakdown knee and recombination
current after ngspice's temperature and area scaling. `junction_current` is the piecewise
current law ngspice evaluates at DC (forward exponential plus the recombination current
ISR, the cubic reverse tail below -3 N VT, the breakdown exponential below -BV, the
high-injection knee IKF); GMIN across the junction is a separate resistor in circuitnet's
tables.

Every parameter ngspice's diode knows is classified here: modelled (DC effect, in
`MODELLED`), without DC effect (accepted and kept for export), or with a DC effect
circuitnet does not model (refused by `model_failure`, never ignored, unless given at the
value that switches its effect off). Parameters of other simulators that ngspice does not
know (PSpice's IBVL, ...) are refused too: ngspice ignores them, so neither simulates
what the card means.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from .physics import thermal_voltage

CELSIUS_TO_KELVIN = 273.15

#: modelled model parameters and ngspice's defaults (SI units; bv inf = no breakdown;
#: tnom None = the circuit's; nbv None = N, as in ngspice 39; ikf 0 = no knee; isr 0 = no
#: recombination current). NR and
#: the junction potential and grading (VJ, M, TM1, TM2, FC, TLEVC, TPB) act at DC only
#: through the recombination current, so only where ISR is given and not 0.
MODELLED: dict[str, float | None] = {
    "is": 1e-14, "n": 1.0, "rs": 0.0, "bv": math.inf, "ibv": 1e-3, "nbv": None, "ikf": 0.0,
    "eg": 1.11, "xti": 3.0, "tnom": None, "trs1": 0.0, "trs2": 0.0, "tcv": 0.0, "tlev": 0.0,
    "level": 1.0, "isr": 0.0, "nr": 1.0, "vj": 1.0, "m": 0.5, "tm1": 0.0, "tm2": 0.0, "fc": 0.5,
    "tlevc": 0.0, "tpb": 0.0,
}
#: other names ngspice accepts for modelled parameters
ALIASES = {"js": "is", "vb": "bv", "vbv": "bv", "bvj": "bv", "ik": "ikf", "trs": "trs1", "t_measured": "tnom",
           "tref": "tnom", "pb": "vj", "mj": "m", "tvj": "tpb"}
#: parameters without DC effect (capacitance, transit time, noise, vendor notes)
NO_DC_EFFECT = frozenset({
    "cjo", "cj0", "cj", "tt", "cjsw", "cjp", "mjsw", "php", "pbsw", "fcs",
    "kf", "af", "ttt1", "ttt2", "cta", "ctc", "ctp", "tphp", "iave", "vpk",
    "mfg", "type", "bvmax", "vrrm", "ifmax", "pdmax", "fv_max", "bv_max", "id_max", "pd_max", "te_max",
    "rth0", "cth0", "lm", "lp", "wm", "wp", "xom", "xoi", "xm", "xp", "dtemp",
})
#: parameters with a DC effect circuitnet does not model, and what they do
REFUSED = {
    "jsw": "sidewall saturation current", "ns": "sidewall emission coefficient",
    "ikr": "reverse knee current", "jtun": "tunnelling current", "jtunsw": "sidewall tunnelling current",
    "ntun": "tunnelling emission coefficient", "xtitun": "tunnelling temperature exponent",
    "keg": "tunnelling band-gap factor",
}
#: parameters of other simulators that ngspice 39 does not know: it warns "unrecognized
#: parameter - ignored" and simulates the card without them
NOT_NGSPICE = {
    "ibvl": "PSpice's low-level breakdown knee current", "nbvl": "PSpice's low-level breakdown emission coefficient",
    "tbv1": "PSpice's linear temperature coefficient of BV", "tbv2": "PSpice's quadratic temperature coefficient of BV",
    "isw": "a sidewall saturation current (ngspice's is JSW)", "rsw": "a sidewall resistance",
    "gmin": "a per-model GMIN",
}
#: refused currents and the value at which they add nothing (ngspice: no effect)
INERT = {"jsw": 0.0, "isw": 0.0, "ikr": 0.0, "jtun": 0.0, "jtunsw": 0.0}
#: refused coefficients and the currents they shape: no effect while those are absent or inert
SHAPES = {"ns": ("jsw",), "ntun": ("jtun", "jtunsw"), "xtitun": ("jtun", "jtunsw"), "keg": ("jtun", "jtunsw")}
#: instance parameters of a D card: modelled, and accepted without DC effect
INSTANCE_MODELLED = {"area": 1.0, "m": 1.0, "temp": None, "dtemp": 0.0}
INSTANCE_NO_DC_EFFECT = frozenset({"pj", "off", "ic", "lm", "lp", "wm", "wp"})

#: ngspice's reference temperature for band-gap formulas, kelvin
REFERENCE_TEMPERATURE = 300.15
#: relative tolerance of ngspice's breakdown-knee iteration (its default RELTOL)
BREAKDOWN_RELTOL = 1e-3
#: beyond this exponent the forward law continues linearly (no overflow; never a solution)
MAX_EXPONENT = 80.0
#: ngspice's bound on the temperature-adjusted grading coefficient M (DIOgradingCoeffMax)
MAX_GRADING = 0.9
#: what ngspice adds to (1 - vd/VJ)^2 in the recombination current's generation factor
GENERATION_OFFSET = 0.005


@dataclass(frozen=True)
class Junction:
    """One diode's DC law after temperature and area scaling.

    saturation: IS * area * m at temperature, amperes; nvt: N * k T / q, volts; series:
    the series resistance, ohms (0: none); breakdown: the knee voltage ngspice matches to
    IBV, volts (inf: no breakdown); nbv_vt: NBV * k T / q, volts; knee: IKF * area * m,
    amperes (0: no high-injection knee). The recombination current ISR (in the forward
    region, before the knee): recombination: ISR * area * m at temperature, amperes (0:
    none); nr_vt: NR * k T / q, volts; potential: the junction potential VJ at temperature,
    volts; grading: the grading coefficient M at temperature (the defaults add nothing).
    """

    saturation: float
    nvt: float
    series: float
    breakdown: float
    nbv_vt: float
    knee: float
    recombination: float = 0.0
    nr_vt: float = 1.0
    potential: float = math.inf
    grading: float = 0.0


def model_value(params: dict[str, float], key: str, default: float | None = None) -> float | None:
    """A model parameter by its canonical name, through ngspice's aliases."""
    for name, value in params.items():
        if ALIASES.get(name, name) == key:
            return value
    return MODELLED.get(key, default) if default is None else default


def model_failure(params: dict[str, float]) -> str | None:
    """Why these `.model D` parameters cannot be simulated exactly, or None."""
    for name, value in params.items():
        key = ALIASES.get(name, name)
        if _inert(params, key, value):
            continue
        if key in NOT_NGSPICE:
            return (f"diode parameter {name.upper()} ({NOT_NGSPICE[key]}) is not an ngspice parameter: "
                    f"ngspice ignores it too (\"unrecognized parameter - ignored\"); remove it to get "
                    f"ngspice's answer")
        if key in REFUSED:
            return (f"diode parameter {name.upper()} ({REFUSED[key]}) changes the DC current and "
                    f"is not modelled by circuitnet; remove it or use the spice solver")
        if key not in MODELLED and key not in NO_DC_EFFECT:
            return (f"unknown diode parameter {name.upper()}; circuitnet models "
                    f"{', '.join(k.upper() for k in MODELLED)} and accepts the capacitance and "
                    f"noise parameters")
    checks = {"is": (0.0, False), "n": (0.0, False), "rs": (0.0, True), "bv": (0.0, False),
              "ibv": (0.0, False), "nbv": (0.0, False), "ikf": (0.0, True), "eg": (0.0, True),
              "isr": (0.0, True)}
    recombining = model_value(params, "isr") > 0
    if recombining:  # the parameters of the recombination current: NR and VJ positive, the others finite
        checks.update({"nr": (0.0, False), "vj": (0.0, False),
                       **{key: (-math.inf, True) for key in ("m", "tm1", "tm2", "fc", "tpb")}})
    for key, (bound, inclusive) in checks.items():
        value = model_value(params, key)
        if value is not None and not (math.isfinite(value) or (key == "bv" and value == math.inf)):
            return f"diode parameter {key.upper()}={value} is not finite"
        if value is not None and (value < bound or (value == bound and not inclusive)):
            sign = ">=" if inclusive else ">"
            return f"diode parameter {key.upper()}={value:g} must be {sign} {bound:g}"
    if model_value(params, "level") != 1.0:
        return f"diode LEVEL={model_value(params, 'level'):g}: circuitnet models ngspice's level 1 only"
    for key in ("tlev", "tlevc") if recombining else ("tlev",):
        if model_value(params, key) not in (0.0, 1.0):
            return f"diode {key.upper()}={model_value(params, key):g}: circuitnet models {key.upper()} 0 and 1"
    return None


def _inert(params: dict[str, float], key: str, value: float) -> bool:
    """Whether refused parameter `key` at `value` has no effect: a current at the value
    that switches it off, or a coefficient of currents that are absent or off."""
    if key in INERT:
        return value == INERT[key]
    return key in SHAPES and all(params.get(current, INERT[current]) == INERT[current] for current in SHAPES[key])


def instance_failure(params: dict[str, float]) -> str | None:
    """Why a D card's instance parameters cannot be simulated, or None."""
    for name, value in params.items():
        if name not in INSTANCE_MODELLED and name not in INSTANCE_NO_DC_EFFECT:
            return f"unknown diode instance parameter {name.upper()} (known: area, m, temp, dtemp, pj, off)"
        if name in ("area", "m") and not (math.isfinite(value) and value > 0):
            return f"diode {name.upper()}={value:g} must be > 0"
    return None


def junction_of(params: dict[str, float], instance: dict[str, float], temp_c: float, tnom_c: float) -> Junction:
    """The DC law of one diode: model `params`, `instance` parameters, the circuit's
    temperature and nominal temperature (degrees Celsius)."""
    value = lambda key: model_value(params, key)  # noqa: E731
    temperature = (instance["temp"] if "temp" in instance else temp_c + instance.get("dtemp", 0.0)) \
        + CELSIUS_TO_KELVIN
    nominal = (value("tnom") if value("tnom") is not None else tnom_c) + CELSIUS_TO_KELVIN
    scale = instance.get("area", 1.0) * instance.get("m", 1.0)
    vt = thermal_voltage(temperature)
    ratio = temperature / nominal
    growth = lambda emission: _temperature_factor(emission, vt, ratio, value("eg"), value("xti"))  # noqa: E731
    saturation = scale * value("is") * growth(value("n"))
    dt = temperature - nominal
    series = value("rs") / scale * (1.0 + value("trs1") * dt + value("trs2") * dt * dt)
    nbv_vt = (value("n") if value("nbv") is None else value("nbv")) * vt
    breakdown = math.inf
    if value("bv") != math.inf:
        bv = value("bv") - value("tcv") * dt if value("tlev") == 0.0 else value("bv") * (1.0 - value("tcv") * dt)
        breakdown = _breakdown_knee(bv, instance.get("m", 1.0) * value("ibv"), saturation, vt, nbv_vt)
    law = Junction(saturation, value("n") * vt, series, breakdown, nbv_vt, value("ikf") * scale)
    if value("isr") == 0.0:
        return law
    grading = min(value("m") * (1.0 + value("tm1") * dt + value("tm2") * dt * dt), MAX_GRADING)
    if value("tlevc") == 0.0:
        potential = _junction_potential(value("vj"), temperature, nominal)
    else:
        potential = value("vj") - value("tpb") * (temperature - REFERENCE_TEMPERATURE)
    if value("fc") * potential > 1.0:
        potential = 1.0 / value("fc")
    return replace(law, recombination=scale * value("isr") * growth(value("nr")), nr_vt=value("nr") * vt,
                   potential=potential, grading=grading)


def _temperature_factor(emission: float, vt: float, ratio: float, eg: float, xti: float) -> float:
    """How a saturation current with emission coefficient `emission` grows from TNOM to T,
    ngspice's exp((T/TNOM - 1) EG / (emission VT) + XTI/emission ln(T/TNOM)); vt: k T / q
    at T, volts; ratio: T/TNOM; eg: band gap, eV; xti: the temperature exponent."""
    return math.exp((ratio - 1.0) * eg / (emission * vt) + xti / emission * math.log(ratio))


def _junction_potential(vj: float, temperature: float, nominal: float) -> float:
    """The junction potential at `temperature` of a VJ (volts) measured at `nominal`
    (kelvin): SPICE's band-gap formula (ngspice's pbfact, TLEVC 0), volts."""
    def offset(t: float) -> float:
        gap = 1.16 - 7.02e-4 * t * t / (t + 1108.0)  # silicon band gap at t, eV
        return gap - 1.1150877 * t / REFERENCE_TEMPERATURE \
            - 3.0 * thermal_voltage(t) * math.log(t / REFERENCE_TEMPERATURE)

    at_reference = (vj - offset(nominal)) * REFERENCE_TEMPERATURE / nominal
    return offset(temperature) + temperature / REFERENCE_TEMPERATURE * at_reference


def _breakdown_knee(bv: float, ibv: float, saturation: float, vt: float, nbv_vt: float) -> float:
    """The breakdown voltage at which the reverse current is IBV, as ngspice matches the
    forward and breakdown regions (volts)."""
    if ibv < saturation * bv / vt:
        return bv
    knee = bv - nbv_vt * math.log1p(ibv / saturation)
    for _ in range(25):
        knee = bv - nbv_vt * math.log(ibv / saturation + 1.0 - knee / vt)
        current = saturation * (math.exp((bv - knee) / nbv_vt) - 1.0 + knee / vt)
        if abs(current - ibv) <= BREAKDOWN_RELTOL * ibv:
            break
    return knee


def junction_current(vd: np.ndarray, saturation: np.ndarray, nvt: np.ndarray, breakdown: np.ndarray,
                     nbv_vt: np.ndarray, knee: np.ndarray, recombination: np.ndarray | float = 0.0,
                     nr_vt: np.ndarray | float = 1.0, potential: np.ndarray | float = math.inf,
                     grading: np.ndarray | float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Junction current (amperes, anode to cathode) and its derivative (siemens) at
    junction voltages vd (volts), ngspice's DC law without GMIN. The parameters are
    arrays broadcastable with vd (one entry per junction, see `Junction`); the
    recombination current is computed only where some `recombination` is positive."""
    vd = np.asarray(vd, dtype=float)
    x = vd / nvt
    forward = x >= -3.0
    below = ~forward & (vd < -breakdown)
    grown, slope = _exponential(np.where(forward, x, 0.0))
    current = np.where(forward, saturation * (grown - 1.0), 0.0)
    slope = np.where(forward, saturation * slope / nvt, 0.0)
    safe = np.where(forward, -1.0, vd)
    tail = (3.0 * nvt / (safe * math.e)) ** 3
    current = np.where(~forward & ~below, -saturation * (1.0 + tail), current)
    slope = np.where(~forward & ~below, saturation * 3.0 * tail / safe, slope)
    rise = np.exp(np.minimum(np.where(below, -(breakdown + vd) / nbv_vt, 0.0), MAX_EXPONENT))
    current = np.where(below, -saturation * rise, current)
    slope = np.where(below, saturation * rise / nbv_vt, slope)
    if np.any(np.asarray(recombination) > 0):
        added, added_slope = _recombination_current(np.where(forward, vd, 0.0), recombination, nr_vt,
                                                    potential, grading)
        current = np.where(forward, current + added, current)
        slope = np.where(forward, slope + added_slope, slope)
    kneed = forward & (knee > 0) & (current > 1e-18)
    if np.any(kneed):
        k = np.where(kneed, knee, 1.0)
        root = np.sqrt(np.where(kneed, current, 0.0) / k)
        kneed_slope = ((1 + root) * slope - current * slope / (2 * np.maximum(root, 1e-300) * k)) \
            / (1 + 2 * root + current / k)
        slope = np.where(kneed, kneed_slope, slope)
        current = np.where(kneed, current / (1 + root), current)
    return current, slope


def _exponential(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """exp(x), continued linearly beyond MAX_EXPONENT (no overflow), and its derivative."""
    grown = np.exp(np.minimum(x, MAX_EXPONENT))
    return grown * (1.0 + np.maximum(x - MAX_EXPONENT, 0.0)), grown


def _recombination_current(vd: np.ndarray, recombination: np.ndarray | float, nr_vt: np.ndarray | float,
                           potential: np.ndarray | float, grading: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
    """ngspice's forward recombination current ISR (exp(vd/(NR VT)) - 1) g(vd) with the
    generation factor g = ((1 - vd/VJ)^2 + 0.005)^(M/2), amperes, and its derivative,
    siemens, at junction voltages vd (volts); parameters as in `junction_current`."""
    grown, grown_slope = _exponential(vd / nr_vt)
    distance = 1.0 - vd / potential
    smoothed = distance * distance + GENERATION_OFFSET
    generation = smoothed ** (0.5 * grading)
    generation_slope = -grading / potential * distance * smoothed ** (0.5 * grading - 1.0)
    plain = recombination * (grown - 1.0)
    return plain * generation, recombination * grown_slope / nr_vt * generation + plain * generation_slope
