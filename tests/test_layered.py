"""Layer detection (`solvers.layered.plan_layers`) and the dense relaxation's structure."""
import numpy as np
import pytest
from random_circuits import random_circuit

from circuitnet.model.networks import build_drn
from circuitnet.solvers.layered import plan_layers


@pytest.mark.parametrize("hidden", [[6], [8, 6], [5, 4, 3]])
def test_drn_is_detected_with_zero_copy_weights(hidden):
    plan = plan_layers(build_drn(5, hidden, 3, seed=1).compile())
    assert [len(layer) for layer in plan.layers] == [*hidden, 3]
    assert all(c.view is not None for c in plan.couplings)


def test_general_circuit_is_not_layered():
    assert plan_layers(random_circuit(0, ideal=3).compile(), require_dense_pays=False) is None


def test_layers_are_the_colour_classes_of_the_sweep_plan():
    """Groups are compiled in colour order: odd layers first, then even ones."""
    cc = build_drn(4, [5, 4, 3], 2, seed=0).compile()
    plan = plan_layers(cc)
    order = [int(cc.group_of[n]) for layer in (0, 2, 1, 3) for n in plan.layers[layer]]
    assert order == sorted(order)


def test_coupling_matrix_reads_the_conductances():
    cc = build_drn(3, [4], 2, seed=5).compile()
    plan = plan_layers(cc)
    for coupling in plan.couplings:
        matrix = coupling.matrix(cc.netlist_conductance)
        rows = {n: k for k, n in enumerate(coupling.rows)}
        cols = {n: k for k, n in enumerate(coupling.cols)}
        for r in coupling.resistors:
            assert matrix[rows[cc.res_a[r]], cols[cc.res_b[r]]] == cc.netlist_conductance[r]
