"""The DC law of a junction diode as ngspice's level-1 diode computes it.

A `.model NAME D (...)` card and a `D` card's instance parameters (area, m, temp, dtemp)
at the circuit's temperature (`.temp`, `.options temp= tnom=`) give one `Junction`: the
saturation current, emission voltage, series resistance and breakdown knee after
ngspice's temperature and area scaling. `junction_current` is the piecewise current law
ngspice evaluates at DC (forward exponential, the cubic reverse tail below -3 N VT, the
breakdown exponential below -BV, the high-injection knee IKF); GMIN across the junction
is a separate resistor in circuitnet's tables.

Every parameter ngspice's diode knows is classified here: modelled (DC effect, in
`MODELLED`), without DC effect (accepted and kept for export), or with a DC effect
circuitnet does not model (refused by `model_failure`, never ignored).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .physics import thermal_voltage

CELSIUS_TO_KELVIN = 273.15

#: modelled model parameters and ngspice's defaults (SI units; bv inf = no breakdown;
#: tnom None = the circuit's; ikf 0 = no knee).
MODELLED: dict[str, float | None] = {
    "is": 1e-14, "n": 1.0, "rs": 0.0, "bv": math.inf, "ibv": 1e-3, "nbv": 1.0, "ikf": 0.0,
    "eg": 1.11, "xti": 3.0, "tnom": None, "trs1": 0.0, "trs2": 0.0, "tcv": 0.0, "tlev": 0.0,
    "level": 1.0,
}
#: other names ngspice accepts for modelled parameters
ALIASES = {"js": "is", "vb": "bv", "vbv": "bv", "bvj": "bv", "ik": "ikf", "trs": "trs1", "t_measured": "tnom",
           "tref": "tnom"}
#: parameters without DC effect (capacitance, transit time, noise, vendor notes)
NO_DC_EFFECT = frozenset({
    "cjo", "cj0", "cj", "m", "mj", "vj", "pb", "tt", "fc", "cjsw", "cjp", "mjsw", "php", "pbsw", "fcs",
    "kf", "af", "tm1", "tm2", "ttt1", "ttt2", "cta", "ctc", "ctp", "tpb", "tphp", "tlevc", "iave", "vpk",
    "mfg", "type", "bvmax", "vrrm", "ifmax", "pdmax", "fv_max", "bv_max", "id_max", "pd_max", "te_max",
    "rth0", "cth0", "lm", "lp", "wm", "wp", "xom", "xoi", "xm", "xp", "dtemp",
})
#: parameters with a DC effect circuitnet does not model, and what they do
REFUSED = {
    "isr": "recombination current", "nr": "recombination emission coefficient",
    "isw": "sidewall saturation current", "jsw": "sidewall saturation current",
    "ns": "sidewall emission coefficient", "ikr": "reverse knee current",
    "jtun": "tunnelling current", "jtunsw": "sidewall tunnelling current",
    "ntun": "tunnelling emission coefficient", "xtitun": "tunnelling temperature exponent",
    "keg": "tunnelling band-gap factor", "gmin": "per-model GMIN", "rsw": "sidewall resistance",
}
#: instance parameters of a D card: modelled, and accepted without DC effect
INSTANCE_MODELLED = {"area": 1.0, "m": 1.0, "temp": None, "dtemp": 0.0}
INSTANCE_NO_DC_EFFECT = frozenset({"pj", "off", "ic", "lm", "lp", "wm", "wp"})

#: ngspice's reference temperature for band-gap formulas, kelvin
REFERENCE_TEMPERATURE = 300.15
#: relative tolerance of ngspice's breakdown-knee iteration (its default RELTOL)
BREAKDOWN_RELTOL = 1e-3
#: beyond this exponent the forward law continues linearly (no overflow; never a solution)
MAX_EXPONENT = 80.0


@dataclass(frozen=True)
class Junction:
    """One diode's DC law after temperature and area scaling.

    saturation: IS * area * m at temperature, amperes; nvt: N * k T / q, volts; series:
    the series resistance, ohms (0: none); breakdown: the knee voltage ngspice matches to
    IBV, volts (inf: no breakdown); nbv_vt: NBV * k T / q, volts; knee: IKF * area * m,
    amperes (0: no high-injection knee).
    """

    saturation: float
    nvt: float
    series: float
    breakdown: float
    nbv_vt: float
    knee: float


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
        if key in REFUSED:
            return (f"diode parameter {name.upper()} ({REFUSED[key]}) changes the DC current and "
                    f"is not modelled by circuitnet; remove it or use the spice solver")
        if key not in MODELLED and key not in NO_DC_EFFECT:
            return (f"unknown diode parameter {name.upper()}; circuitnet models "
                    f"{', '.join(k.upper() for k in MODELLED)} and accepts the capacitance and "
                    f"noise parameters")
    checks = {"is": (0.0, False), "n": (0.0, False), "rs": (0.0, True), "bv": (0.0, False),
              "ibv": (0.0, False), "nbv": (0.0, False), "ikf": (0.0, True), "eg": (0.0, True)}
    for key, (bound, inclusive) in checks.items():
        value = model_value(params, key)
        if value is not None and not (math.isfinite(value) or (key == "bv" and value == math.inf)):
            return f"diode parameter {key.upper()}={value} is not finite"
        if value is not None and (value < bound or (value == bound and not inclusive)):
            sign = ">=" if inclusive else ">"
            return f"diode parameter {key.upper()}={value:g} must be {sign} {bound:g}"
    if model_value(params, "level") != 1.0:
        return f"diode LEVEL={model_value(params, 'level'):g}: circuitnet models ngspice's level 1 only"
    if model_value(params, "tlev") not in (0.0, 1.0):
        return f"diode TLEV={model_value(params, 'tlev'):g}: circuitnet models TLEV 0 and 1"
    return None


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
    area, m = instance.get("area", 1.0), instance.get("m", 1.0)
    vt = thermal_voltage(temperature)
    n = value("n")
    ratio = temperature / nominal
    saturation = m * value("is") * area * math.exp((ratio - 1.0) * value("eg") / (n * vt)
                                                   + value("xti") / n * math.log(ratio))
    dt = temperature - nominal
    series = value("rs") / (m * area) * (1.0 + value("trs1") * dt + value("trs2") * dt * dt)
    nbv_vt = value("nbv") * vt
    breakdown = math.inf
    if value("bv") != math.inf:
        bv = value("bv") - value("tcv") * dt if value("tlev") == 0.0 else value("bv") * (1.0 - value("tcv") * dt)
        breakdown = _breakdown_knee(bv, m * value("ibv"), saturation, vt, nbv_vt)
    return Junction(saturation, n * vt, series, breakdown, nbv_vt, value("ikf") * area * m)


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
                     nbv_vt: np.ndarray, knee: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Junction current (amperes, anode to cathode) and its derivative (siemens) at
    junction voltages vd (volts), ngspice's DC law without GMIN. The parameters are
    arrays broadcastable with vd (one entry per junction, see `Junction`)."""
    vd = np.asarray(vd, dtype=float)
    x = vd / nvt
    forward = x >= -3.0
    below = ~forward & (vd < -breakdown)
    capped = np.minimum(x, MAX_EXPONENT)
    grown = np.exp(np.where(forward, capped, 0.0))
    current = np.where(forward, saturation * (grown * (1.0 + np.maximum(x - MAX_EXPONENT, 0.0)) - 1.0), 0.0)
    slope = np.where(forward, saturation * grown / nvt, 0.0)
    safe = np.where(forward, -1.0, vd)
    tail = (3.0 * nvt / (safe * math.e)) ** 3
    current = np.where(~forward & ~below, -saturation * (1.0 + tail), current)
    slope = np.where(~forward & ~below, saturation * 3.0 * tail / safe, slope)
    rise = np.exp(np.minimum(np.where(below, -(breakdown + vd) / nbv_vt, 0.0), MAX_EXPONENT))
    current = np.where(below, -saturation * rise, current)
    slope = np.where(below, saturation * rise / nbv_vt, slope)
    kneed = forward & (knee > 0) & (current > 1e-18)
    if np.any(kneed):
        k = np.where(kneed, knee, 1.0)
        root = np.sqrt(np.where(kneed, current, 0.0) / k)
        kneed_slope = ((1 + root) * slope - current * slope / (2 * np.maximum(root, 1e-300) * k)) \
            / (1 + 2 * root + current / k)
        slope = np.where(kneed, kneed_slope, slope)
        current = np.where(kneed, current / (1 + root), current)
    return current, slope
