"""Tests of circuitnet.solvers.solution: Solution's accessors and the lazily computed currents."""
from __future__ import annotations

import numpy as np
import pytest

import circuitnet as cn
from circuitnet.solvers.solution import LazyCurrents, Solution

DIVIDER = """divider: V1 across 1 kOhm and 2 kOhm in series
V1 in 0 DC 3
R1 in mid 1k
R2 mid gnd 2k
.end
"""
#: source voltages of the batch, volts
SUPPLY = np.array([1.0, 3.0, -6.0])


@pytest.fixture(scope="module")
def divider() -> Solution:
    """The divider solved by the default solver for three supply voltages."""
    return cn.solve(cn.parse_netlist(DIVIDER), {"v1": SUPPLY})


def test_batch_and_node_order(divider: Solution):
    assert divider.batch == len(SUPPLY)
    assert divider.nodes == ["in", "mid"]
    assert divider.voltages.shape == (len(SUPPLY), 2)


def test_voltages_match_the_divider_rule(divider: Solution):
    # v(mid) = V1 * R2 / (R1 + R2) = 2/3 V1
    np.testing.assert_allclose(divider.voltage("mid"), SUPPLY * 2.0 / 3.0, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(divider.voltage("in"), SUPPLY, rtol=1e-12, atol=1e-12)


def test_names_are_case_insensitive(divider: Solution):
    np.testing.assert_array_equal(divider.voltage("MID"), divider.voltage("mid"))
    np.testing.assert_array_equal(divider.current("R1"), divider.current("r1"))


@pytest.mark.parametrize("alias", ["0", "gnd", "GND"])
def test_ground_aliases_give_zeros(divider: Solution, alias: str):
    ground = divider.voltage(alias)
    assert ground.shape == (divider.batch,)
    assert ground.dtype == divider.voltages.dtype
    assert not ground.any()


def test_ground_keeps_the_dtype():
    solution = Solution(nodes=["a"], voltages=np.ones((2, 1), dtype=np.float32), currents={}, solver="cd")
    assert solution.voltage("0").dtype == np.float32


def test_unknown_node_raises_key_error(divider: Solution):
    with pytest.raises(KeyError, match="nowhere"):
        divider.voltage("nowhere")


def test_currents_follow_ohms_law_with_spice_signs(divider: Solution):
    through = SUPPLY / 3000.0  # amperes through R1 and R2 in series
    np.testing.assert_allclose(divider.current("r1"), through, rtol=1e-9, atol=1e-15)
    np.testing.assert_allclose(divider.current("r2"), through, rtol=1e-9, atol=1e-15)
    # SPICE's sign: a source's current flows from n+ through the source to n-
    np.testing.assert_allclose(divider.current("v1"), -through, rtol=1e-9, atol=1e-15)


def test_unknown_element_raises_key_error(divider: Solution):
    with pytest.raises(KeyError):
        divider.current("r9")


def test_lazy_currents_are_computed_once_on_first_use():
    calls = []

    def compute() -> dict:
        calls.append(None)
        return {"r1": np.array([1.0]), "v1": np.array([-1.0])}

    currents = LazyCurrents(compute)
    assert not calls
    np.testing.assert_array_equal(currents["r1"], [1.0])
    assert len(currents) == 2
    assert sorted(currents) == ["r1", "v1"]
    assert "v1" in currents and "r2" not in currents
    with pytest.raises(KeyError):
        currents["r2"]  # noqa: B018 - the lookup is the test
    assert len(calls) == 1
