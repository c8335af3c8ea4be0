"""Tests of circuitnet.model.physics: constants, the thermal voltage and the Shockley junction law."""
from __future__ import annotations

import math

import numpy as np
import pytest

from circuitnet.model.physics import (
    BOLTZMANN,
    ELEMENTARY_CHARGE,
    GMIN,
    NOMINAL_TEMPERATURE,
    THERMAL_VOLTAGE,
    shockley_current,
    thermal_voltage,
)


def test_constants_are_codata_2014_as_ngspice():
    """k, q and T are ngspice's values: CODATA 2014 constants, 27 degrees Celsius, GMIN 1e-12 S."""
    assert BOLTZMANN == 1.38064852e-23
    assert ELEMENTARY_CHARGE == 1.6021766208e-19
    assert NOMINAL_TEMPERATURE == 273.15 + 27.0
    assert GMIN == 1e-12


def test_thermal_voltage_at_27_celsius():
    """kT/q at 300.15 K is 25.8649 mV (hand value), and THERMAL_VOLTAGE is that default."""
    assert thermal_voltage() == pytest.approx(0.0258649, abs=5e-8)
    assert thermal_voltage() == pytest.approx(1.38064852e-23 * 300.15 / 1.6021766208e-19, rel=1e-15)
    assert THERMAL_VOLTAGE == thermal_voltage(NOMINAL_TEMPERATURE)


def test_thermal_voltage_differs_from_si_2019_only_slightly():
    """With the exact SI 2019 constants kT/q differs by under 1e-6 relative (but does differ:
    the module keeps ngspice's constants on purpose)."""
    si_2019 = 1.380649e-23 * 300.15 / 1.602176634e-19
    assert abs(THERMAL_VOLTAGE / si_2019 - 1) < 1e-6
    assert THERMAL_VOLTAGE != si_2019


@pytest.mark.parametrize("temperature", [1.0, 77.0, 250.0, 300.15, 400.0])
def test_thermal_voltage_is_proportional_to_temperature(temperature):
    """VT(T) = VT(300.15 K) * T / 300.15."""
    assert thermal_voltage(temperature) == pytest.approx(THERMAL_VOLTAGE * temperature / 300.15, rel=1e-14)


def test_shockley_current_matches_the_formula_elementwise():
    """IS (exp(vd/nVT) - 1) + gmin vd, checked with math.exp on each element."""
    rng = np.random.default_rng(0)
    vd = rng.uniform(-2.0, 0.8, 50)
    saturation = rng.uniform(1e-15, 1e-9, 50)
    nvt = rng.uniform(1.0, 2.0, 50) * THERMAL_VOLTAGE
    current = shockley_current(vd, saturation, nvt, gmin=1e-12)
    expected = [s * (math.exp(v / n) - 1.0) + 1e-12 * v for v, s, n in zip(vd, saturation, nvt)]
    np.testing.assert_allclose(current, expected, rtol=1e-9, atol=1e-25)


def test_shockley_default_has_no_gmin():
    """Without gmin the reverse current saturates at exactly -IS; with it the leak adds gmin*vd."""
    assert shockley_current(np.array(-10.0), np.array(1e-14), np.array(0.025)) == pytest.approx(-1e-14, rel=1e-12)
    leak = shockley_current(np.array(-10.0), np.array(1e-14), np.array(0.025), gmin=GMIN)
    assert leak == pytest.approx(-1e-14 - 10 * GMIN, rel=1e-12)


def test_shockley_is_zero_at_zero_volts():
    """No voltage, no current, whatever IS, N and gmin."""
    assert shockley_current(np.zeros(3), np.array([1e-14, 1e-9, 1.0]), np.array([0.02, 0.05, 1.0]), 1e-3).tolist() \
        == [0.0, 0.0, 0.0]


def test_shockley_is_accurate_for_tiny_voltages():
    """For |vd| << nVT the current is IS (x + x^2/2 + x^3/6), x = vd/nVT, to full precision
    (exp(x) - 1 would lose most digits)."""
    vd = np.array([1e-12, -3e-10, 2e-8, -1e-6])
    nvt = 0.0258649
    x = vd / nvt
    series = 1e-14 * (x + x ** 2 / 2 + x ** 3 / 6)
    np.testing.assert_allclose(shockley_current(vd, 1e-14, nvt), series, rtol=1e-13)


def test_shockley_derivative_by_finite_differences():
    """dI/dvd = IS/nVT exp(vd/nVT) + gmin, checked against central differences."""
    vd, saturation, nvt, gmin = np.linspace(-0.3, 0.7, 11), 1e-14, 1.5 * THERMAL_VOLTAGE, 1e-9
    h = 1e-7
    numeric = (shockley_current(vd + h, saturation, nvt, gmin) - shockley_current(vd - h, saturation, nvt, gmin)) / (2 * h)
    analytic = saturation / nvt * np.exp(vd / nvt) + gmin
    np.testing.assert_allclose(numeric, analytic, rtol=1e-6)


def test_shockley_broadcasts():
    """Shapes broadcast: (3, 1) voltages with (4,) saturation currents give (3, 4), each entry
    the scalar evaluation."""
    vd = np.array([[-0.1], [0.0], [0.4]])
    saturation = np.array([1e-15, 1e-14, 1e-13, 1e-12])
    current = shockley_current(vd, saturation, np.array(0.03))
    assert current.shape == (3, 4)
    for i in range(3):
        for j in range(4):
            assert current[i, j] == pytest.approx(saturation[j] * math.expm1(vd[i, 0] / 0.03), rel=1e-14)


def test_shockley_is_monotonic():
    """The current increases with the voltage (a junction is passive)."""
    vd = np.linspace(-1.0, 0.9, 500)
    assert np.all(np.diff(shockley_current(vd, 1e-14, THERMAL_VOLTAGE, GMIN)) > 0)

