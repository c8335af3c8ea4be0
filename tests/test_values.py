"""CircuitValues: the caller-owned conductances and source values of a compiled circuit."""
import copy

import numpy as np
import pytest
from random_circuits import random_circuit

from circuitnet.model.networks import build_drn
from circuitnet.solvers import solve


def test_values_start_from_the_netlist_and_are_independent_copies():
    cc = random_circuit(3, shockley=1).compile()
    a, b = cc.values(), cc.values()
    resistors = [cc.circuit.elements[name] for name in cc.res_names[:cc.n_circuit_res]]
    np.testing.assert_allclose(a.conductance[:cc.n_circuit_res], [1.0 / r.value for r in resistors])
    np.testing.assert_array_equal(a.sources, [cc.circuit.elements[n].value for n in cc.sources.names])
    a.set_conductances(7.0, 0)
    assert b.conductance[0] != 7.0 and cc.netlist_conductance[0] != 7.0
    assert a.key != b.key


def test_arrays_are_read_only_outside_edits_and_every_edit_changes_the_key():
    values = build_drn(3, [4], 2, seed=0).compile().values()
    keys = {values.key}
    for array in (values.conductance, values.sources):
        with pytest.raises(ValueError):
            array[0] = 1.0
    values.set_conductances(np.ones(3), slice(0, 3))
    keys.add(values.key)
    values.set_sources(0.5, 0)
    keys.add(values.key)
    with values.editing() as conductance:
        conductance[5] = 2.0
    keys.add(values.key)
    values.use_dtype("float32")
    keys.add(values.key)
    assert len(keys) == 5
    assert values.conductance.dtype == np.float32 and values.conductance[5] == 2.0
    assert not values.conductance.flags.writeable


def test_the_netlist_values_cannot_be_edited():
    cc = build_drn(3, [4], 2, seed=0).compile()
    with pytest.raises(ValueError, match="compiled.values"):
        cc.netlist_values.set_conductances(1.0, 0)
    with pytest.raises(ValueError, match="compiled.values"):
        cc.netlist_values.set_sources(1.0, 0)


def test_block_sums_are_recorded_inside_an_edit_and_computed_otherwise():
    values = build_drn(3, [4], 2, seed=0).compile().values()
    block, shape = slice(0, 24), (6, 4)
    rows, cols = values.block_sums(block, shape)
    matrix = np.array(values.conductance[block]).reshape(shape)
    np.testing.assert_allclose(rows, [sum(row) for row in matrix.tolist()])
    np.testing.assert_allclose(cols, [sum(col) for col in matrix.T.tolist()])
    with values.editing() as conductance:
        conductance[block] *= 2.0
        values.record_block_sums(block, shape, np.full(6, -1.0), np.full(4, -2.0))  # what the editor says
    assert values.block_sums(block, shape)[0][0] == -1.0 and values.block_sums(block, shape)[1][0] == -2.0
    values.set_conductances(np.ones(24), block)  # a later edit drops the record
    np.testing.assert_allclose(values.block_sums(block, shape)[1], np.full(4, 6.0))
    with pytest.raises(RuntimeError, match="editing"):
        values.record_block_sums(block, shape, rows, cols)


def test_values_of_another_circuit_are_refused():
    small, large = build_drn(3, [4], 2).compile(), build_drn(3, [5], 2).compile()
    with pytest.raises(ValueError, match="resistors"):
        solve(small, values=large.values())


@pytest.mark.parametrize("solver", ["cd", "qp"])
def test_solving_with_values_equals_solving_the_edited_netlist(solver):
    """The same edit made to the values and to a copy of the netlist: the same state."""
    circuit = random_circuit(5, n_nodes=10, ideal=2, currents=2)
    cc = circuit.compile()
    values = cc.values()
    rng = np.random.default_rng(0)
    g = rng.uniform(0.2, 2.0, cc.n_circuit_res)
    values.set_conductances(g, slice(0, cc.n_circuit_res))
    values.set_sources(rng.uniform(-1.0, 1.0, values.sources.shape))
    edited = copy.deepcopy(circuit)
    for name, conductance in zip(cc.res_names, g):
        edited.elements[name].value = 1.0 / conductance
    for name, value in zip(cc.sources.names, values.sources):
        edited.elements[name].value = float(value)
    expected = solve(edited, solver="qp").voltages
    np.testing.assert_allclose(solve(cc, solver=solver, values=values).voltages, expected, atol=1e-7)
    assert not np.allclose(solve(cc, solver="qp").voltages, expected, atol=1e-4)  # the edit mattered


def test_recorded_block_sums_outlive_edits_of_the_sources():
    """Training edits the conductances (recording their sums), then the biases: the
    record stays valid, as the sums do not depend on the sources."""
    values = build_drn(3, [4], 2, seed=0).compile().values()
    block, shape = slice(0, 24), (6, 4)
    with values.editing():
        values.record_block_sums(block, shape, np.full(6, -1.0), np.full(4, -2.0))
    values.set_sources(0.1, 0)
    assert values.block_sums(block, shape)[0][0] == -1.0
