"""Physical constants and device laws shared by the solvers (SI units)."""
from __future__ import annotations

import numpy as np

# ngspice computes VT from the CODATA 2014 constants, not the exact SI 2019 ones; using
# its values keeps forward-biased junctions within ~1e-12 V of ngspice instead of ~2e-7 V.
BOLTZMANN = 1.38064852e-23  # J/K, CODATA 2014, as ngspice
ELEMENTARY_CHARGE = 1.6021766208e-19  # C, CODATA 2014, as ngspice
NOMINAL_TEMPERATURE = 300.15  # K, ngspice's default 27 degrees Celsius
#: conductance ngspice puts in parallel with every diode junction, siemens.
GMIN = 1e-12


def thermal_voltage(temperature: float = NOMINAL_TEMPERATURE) -> float:
    """k*T/q in volts (0.0258649 V at 27 C)."""
    return BOLTZMANN * temperature / ELEMENTARY_CHARGE


#: k*T/q at ngspice's default 27 C, volts: the one value every module uses.
THERMAL_VOLTAGE = thermal_voltage()


def shockley_current(vd: np.ndarray, saturation: np.ndarray, nvt: np.ndarray,
                     gmin: float = 0.0) -> np.ndarray:
    """Junction current IS*(exp(vd/(N*VT)) - 1) + gmin*vd, amperes.

    vd: junction voltage, volts; saturation: IS, amperes; nvt: N*VT, volts; any
    broadcastable shapes. gmin: the conductance in parallel with the junction, siemens
    (ngspice's is GMIN; 0 where the caller models it as a separate resistor).
    """
    return saturation * np.expm1(vd / nvt) + gmin * vd
