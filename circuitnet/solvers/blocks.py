"""The two kinds of block that execute the cd solver's sweep plan.

The plan (`CompiledCircuit` groups in colour order, see `compiled._colour_classes`) is
one fixed order of colour classes per circuit; groups of one class share no element, so
a class may be updated group by group or all at once with the same result. A block kind
executes every class of a solve:

- `KernelBlocks`: the numba CSR kernel (`kernels.relax`), any circuit;
- `DenseBlocks`: matrix products over zero-copy views of the weight array plus a clip
  (`layered.LayeredRelaxation`), layered networks only.

Both stop by `stop_rule`, over-relax by it, polish to the exact steady state and certify
it by the same KKT quantities, so the states do not depend on the block kind (to
rounding). `choose_blocks` picks one (`layered=None`: dense where the circuit is layered
and dense products pay, see `layered.plan_layers`).
"""
from __future__ import annotations

import numpy as np

from ..compile.tables import CompiledCircuit
from ..compile.values import CircuitValues
from ..errors import CircuitValidationError, ConvergenceError, InfeasibleCircuitError
from . import kernels
from .active_set import polish
from .kkt import balance, diode_violation
from .layered import LayeredRelaxation, plan_layers
from .stop_rule import contraction_rate, over_relaxation, settled

#: the dense blocks' polish sweeps until this many machine epsilons (relative to the
#: source range): the kernel's active-set polish is exact to about the same
POLISH_EPSILONS = 64


class KernelBlocks:
    """Every class by the numba kernel, over a solve's state (arrays v, off, inj, leak)
    with the conductances of `values`."""

    def __init__(self, cc: CompiledCircuit, values: CircuitValues, state):
        self.cc, self.state, self.values = cc, state, values
        self.conductance = values.conductance.astype(state.v.dtype)  # the kernel's working copy

    def relax(self, tol_v: float, max_sweeps: int, fixed: int | None, tight: float | None = None,
              strict: bool = True) -> int:
        """Sweeps until `stop_rule.settled` at tol_v (volts) or max_sweeps (ConvergenceError
        when `strict`), or exactly `fixed` sweeps; returns the largest count over the batch.

        tight: slack (volts) under which a diode counts as conducting; default 10 * tol_v.
        """
        cc, state = self.cc, self.state
        counts = np.zeros(state.v.shape[0], dtype=np.int64)
        dtype = state.v.dtype
        kernels.relax(
            state.v, state.off, state.inj, state.leak, -1.0 if fixed else tol_v,
            10 * tol_v + 1e-12 if tight is None else tight, fixed or max_sweeps, not fixed, counts,
            cc.group_of, cc.grp_ptr, cc.grp_nodes, cc.adj_ptr, cc.adj_node, cc.adj_res,
            self.conductance, cc.idio_ptr, cc.idio_idx, cc.idio_role, cc.ideal_a, cc.ideal_c,
            cc.ideal_vf.astype(dtype), cc.sdio_ptr, cc.sdio_idx, cc.sdio_role, cc.shock_a, cc.shock_c,
            cc.shock_is, cc.shock_nvt, cc.pgrp_ptr, cc.pgrp_idx)
        if (counts < 0).any():
            infeasible(int(np.flatnonzero(counts < 0)[0]))
        if strict and not fixed and (counts >= max_sweeps).any():
            not_converged(max_sweeps, tol_v)
        return int(counts.max(initial=0))

    def polish(self, tol_v: float, scale: float, max_sweeps: int) -> bool:
        """The exact steady state from the active set found so far (`active_set.polish`);
        False (state unchanged) when the active-set loop fails."""
        state = self.state
        v = state.v.astype(np.float64)
        if not polish(self.cc, self.values.conductance, v, state.off.astype(np.float64), state.inj.astype(np.float64),
                      state.leak.astype(np.float64), tol_v):
            return False
        state.v[...] = v
        return True

    def certificate(self, tol_v: float) -> tuple[float, float, float]:
        """(KKT residual in amperes, ideal-diode violation in volts, largest node conductance
        in siemens) of the state (`kkt.balance`)."""
        cc, state = self.cc, self.state
        g = self.values.conductance.astype(np.float64)
        result = balance(cc, g, state.v.astype(np.float64), state.inj.astype(np.float64),
                         state.leak.astype(np.float64), tight_tol=10 * tol_v)
        ends = np.concatenate([cc.res_a, cc.res_b])
        conductance = float(np.bincount(ends, np.concatenate([g, g]),
                                        minlength=cc.n_all).max(initial=0.0))
        return result.residual, result.diode_violation, conductance


class DenseBlocks:
    """Every class by matrix products over whole layers (`layered.LayeredRelaxation`).

    The batch moves as one: a sweep's change is the largest over the batch, so the stop
    rule and over-relaxation factor are the batch's (the kernel's are per example; both
    polish to the same exact point, and fixed-sweep mode never over-relaxes).
    """

    def __init__(self, cc: CompiledCircuit, values: CircuitValues, state, plan):
        self.cc, self.state = cc, state
        self.relaxation = LayeredRelaxation(plan, state.v, state.inj, state.leak, cc, values)
        if self.relaxation.infeasible:
            infeasible(self.relaxation.first_infeasible_example())

    def relax(self, tol_v: float, max_sweeps: int, fixed: int | None, tight: float | None = None,
              strict: bool = True) -> int:
        """As `KernelBlocks.relax` (`tight` is not needed: no diode joins two free nodes)."""
        relaxation = self.relaxation
        previous, omega = np.inf, 1.0
        used, done = 0, False
        while used < (fixed or max_sweeps) and not done:
            change = relaxation.sweep(omega, measure=not fixed)
            if not fixed:
                rate = contraction_rate(change, previous, omega)
                previous = change
                omega = over_relaxation(used, rate, omega)
                done = settled(change, rate, tol_v)
            used += 1
        relaxation.write(self.state.v)
        if strict and not fixed and not done:
            not_converged(max_sweeps, tol_v)
        return used

    def polish(self, tol_v: float, scale: float, max_sweeps: int) -> bool:
        """Sweeps on to POLISH_EPSILONS machine epsilons (projected Gauss-Seidel converges to
        the exact minimiser; a few sweeps past the active set reach the rounding floor)."""
        floor = POLISH_EPSILONS * np.finfo(self.state.v.dtype).eps * scale
        self.relax(min(floor, tol_v), max_sweeps, None, strict=False)
        return True

    def certificate(self, tol_v: float) -> tuple[float, float, float]:
        """As `KernelBlocks.certificate`, from the layers' products."""
        relaxation = self.relaxation
        violation = diode_violation(self.cc, self.state.v.astype(np.float64))
        return relaxation.residual(), violation, relaxation.max_degree


def choose_blocks(cc: CompiledCircuit, values: CircuitValues, state,
                  layered: bool | None) -> KernelBlocks | DenseBlocks:
    """The block kind of a solve: dense where `layered` is True (the circuit must be
    layered), the kernel where False, and where None dense when `cc.layer_plan()` finds
    the circuit layered with dense products that pay (`layered.plan_layers`)."""
    if layered is False:
        return KernelBlocks(cc, values, state)
    plan = cc.layer_plan() if layered is None else plan_layers(cc, require_dense_pays=False)
    if plan is None:
        if layered:
            raise CircuitValidationError(
                "layered=True, but the circuit is not a layered network (every resistor between "
                "consecutive layers or to a fixed node, ideal diodes only to fixed nodes, no "
                "Shockley diodes or VCVS)")
        return KernelBlocks(cc, values, state)
    return DenseBlocks(cc, values, state, plan)


def infeasible(example: int):
    """Raise InfeasibleCircuitError for an example whose diode intervals are empty."""
    raise InfeasibleCircuitError(
        f"the ideal-diode constraints cannot all hold (example {example}): some node is "
        f"forced above one diode's limit and below another's")


def not_converged(max_sweeps: int, tol_v: float):
    """Raise ConvergenceError for a loop that used max_sweeps without settling."""
    raise ConvergenceError(f"coordinate descent did not converge in {max_sweeps} sweeps "
                           f"(tolerance {tol_v:.3g} V); raise max_sweeps or tol")
