"""Physical constants and device laws shared by the solvers (SI units)."""
from __future__ import annotations

import numpy as np

BOLTZMANN = 1.380649e-23  # J/K
ELEMENTARY_CHARGE = 1.602176634e-19  # C
NOMINAL_TEMPERATURE = 300.15  # K, ngspice's default 27 degrees Celsius
#: conductance ngspice puts in parallel with every diode junction, siemens.
GMIN = 1e-12


def thermal_voltage(temperature: float = NOMINAL_TEMPERATURE) -> float:
    """k*T/q in volts (0.025864 V at 27 C)."""
    return BOLTZMANN * temperature / ELEMENTARY_CHARGE


def shockley_current(vd: np.ndarray, saturation: np.ndarray, nvt: np.ndarray) -> np.ndarray:
    """Junction current IS*(exp(vd/(N*VT)) - 1), amperes; vd in volts, any broadcastable shapes."""
    return saturation * np.expm1(vd / nvt)
