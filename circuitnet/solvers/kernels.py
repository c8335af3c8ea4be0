"""Numba kernels of the coordinate-descent solver. Plain arrays in, plain arrays out.

Notation: v (batch, n_all) node voltages, off (batch, n_all) node offsets within their
group, so a free node's voltage is u + off where u is its group's unknown. A *block* is
one group, or two groups tied by an active diode (the second moving with shift s2).
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

NEWTON_ITERATIONS = 200


@njit(cache=True)
def _in_block(group, g1, g2):
    return group == g1 or (g2 >= 0 and group == g2)


@njit(cache=True)
def _quadratic(v, off, inj, leak, b, g, shift, g1, g2, group_of, grp_ptr, grp_nodes,
               adj_ptr, adj_node, adj_res, cond):
    """Numerator and denominator of the block's quadratic part for the members of group g."""
    num = 0.0
    den = 0.0
    for p in range(grp_ptr[g], grp_ptr[g + 1]):
        m = grp_nodes[p]
        base = shift + off[b, m]
        num += inj[b, m] - leak[m] * base
        den += leak[m]
        for q in range(adj_ptr[m], adj_ptr[m + 1]):
            k = adj_node[q]
            if not _in_block(group_of[k], g1, g2):
                c = cond[adj_res[q]]
                num += c * (v[b, k] - base)
                den += c
    return num, den


@njit(cache=True)
def _interval(v, off, b, g, shift, g1, g2, lo, hi, group_of, grp_ptr, grp_nodes,
              dio_ptr, dio_idx, dio_role, dio_a, dio_c, vf):
    """Tighten [lo, hi] for the block variable by the ideal diodes at members of group g."""
    for p in range(grp_ptr[g], grp_ptr[g + 1]):
        m = grp_nodes[p]
        base = shift + off[b, m]
        for q in range(dio_ptr[m], dio_ptr[m + 1]):
            d = dio_idx[q]
            if dio_role[q] > 0:
                other = dio_c[d]
                if not _in_block(group_of[other], g1, g2):
                    hi = min(hi, vf[d] + v[b, other] - base)
            else:
                other = dio_a[d]
                if not _in_block(group_of[other], g1, g2):
                    lo = max(lo, v[b, other] - vf[d] - base)
    return lo, hi


@njit(cache=True)
def _junction_sum(u, v, off, b, g, shift, g1, g2, group_of, grp_ptr, grp_nodes,
                  sdio_ptr, sdio_idx, sdio_role, s_a, s_c, s_is, s_nvt):
    """Net Shockley current out of group g's members at block value u, and its derivative."""
    total = 0.0
    slope = 0.0
    for p in range(grp_ptr[g], grp_ptr[g + 1]):
        m = grp_nodes[p]
        vm = u + shift + off[b, m]
        for q in range(sdio_ptr[m], sdio_ptr[m + 1]):
            d = sdio_idx[q]
            role = sdio_role[q]
            other = s_c[d] if role > 0 else s_a[d]
            if _in_block(group_of[other], g1, g2):
                continue
            vd = role * (vm - v[b, other])
            e = math.exp(vd / s_nvt[d])
            total += role * s_is[d] * (e - 1.0)
            slope += s_is[d] * e / s_nvt[d]
    return total, slope


@njit(cache=True)
def _has_junctions(g, grp_ptr, grp_nodes, sdio_ptr):
    for p in range(grp_ptr[g], grp_ptr[g + 1]):
        m = grp_nodes[p]
        if sdio_ptr[m + 1] > sdio_ptr[m]:
            return True
    return False


@njit(cache=True)
def _newton_root(u0, num, den, v, off, b, g1, s1, g2, s2, group_of, grp_ptr, grp_nodes,
                 sdio_ptr, sdio_idx, sdio_role, s_a, s_c, s_is, s_nvt):
    """Root of f(u) = den*u - num + junction currents (increasing in u), safeguarded Newton."""
    lo = -math.inf
    hi = math.inf
    u = u0
    for _ in range(NEWTON_ITERATIONS):
        f, df = _junction_sum(u, v, off, b, g1, s1, g1, g2, group_of, grp_ptr, grp_nodes,
                              sdio_ptr, sdio_idx, sdio_role, s_a, s_c, s_is, s_nvt)
        if g2 >= 0:
            f2, df2 = _junction_sum(u, v, off, b, g2, s2, g1, g2, group_of, grp_ptr, grp_nodes,
                                    sdio_ptr, sdio_idx, sdio_role, s_a, s_c, s_is, s_nvt)
            f += f2
            df += df2
        f += den * u - num
        df += den
        if f > 0.0:
            hi = u
        else:
            lo = u
        step = f / df
        nxt = u - step
        if not (lo < nxt < hi) or not math.isfinite(nxt):
            if math.isfinite(lo) and math.isfinite(hi):
                nxt = 0.5 * (lo + hi)
            elif math.isfinite(lo):
                nxt = lo + max(1.0, 2.0 * abs(u - lo))
            else:
                nxt = hi - max(1.0, 2.0 * abs(hi - u))
        if abs(nxt - u) <= 4e-16 * (1.0 + abs(u)):
            return nxt
        u = nxt
    return u


@njit(cache=True)
def block_update(v, off, inj, leak, b, g1, s1, g2, s2, group_of, grp_ptr, grp_nodes,
                 adj_ptr, adj_node, adj_res, cond, idio_ptr, idio_idx, idio_role, i_a, i_c, i_vf,
                 sdio_ptr, sdio_idx, sdio_role, s_a, s_c, s_is, s_nvt):
    """Exactly minimise the energy over one block; write its voltages; return |change| (volts).

    Returns -1 when the block's ideal-diode interval is empty (an infeasible circuit).
    """
    m0 = grp_nodes[grp_ptr[g1]]
    u_old = v[b, m0] - off[b, m0] - s1
    num, den = _quadratic(v, off, inj, leak, b, g1, s1, g1, g2, group_of, grp_ptr, grp_nodes,
                          adj_ptr, adj_node, adj_res, cond)
    lo, hi = _interval(v, off, b, g1, s1, g1, g2, -math.inf, math.inf, group_of, grp_ptr,
                       grp_nodes, idio_ptr, idio_idx, idio_role, i_a, i_c, i_vf)
    junctions = _has_junctions(g1, grp_ptr, grp_nodes, sdio_ptr)
    if g2 >= 0:
        n2, d2 = _quadratic(v, off, inj, leak, b, g2, s2, g1, g2, group_of, grp_ptr, grp_nodes,
                            adj_ptr, adj_node, adj_res, cond)
        num += n2
        den += d2
        lo, hi = _interval(v, off, b, g2, s2, g1, g2, lo, hi, group_of, grp_ptr, grp_nodes,
                           idio_ptr, idio_idx, idio_role, i_a, i_c, i_vf)
        junctions = junctions or _has_junctions(g2, grp_ptr, grp_nodes, sdio_ptr)
    if lo > hi + 1e-9 * (1.0 + abs(lo)):
        return -1.0
    if junctions:
        u = _newton_root(u_old, num, den, v, off, b, g1, s1, g2, s2, group_of, grp_ptr, grp_nodes,
                         sdio_ptr, sdio_idx, sdio_role, s_a, s_c, s_is, s_nvt)
    else:
        u = num / den
    u = min(max(u, lo), hi)
    _place(v, off, b, g1, u + s1, grp_ptr, grp_nodes)
    if g2 >= 0:
        _place(v, off, b, g2, u + s2, grp_ptr, grp_nodes)
    return abs(u - u_old)


@njit(cache=True)
def _place(v, off, b, g, u, grp_ptr, grp_nodes):
    for p in range(grp_ptr[g], grp_ptr[g + 1]):
        m = grp_nodes[p]
        v[b, m] = u + off[b, m]


@njit(parallel=True, cache=True)
def relax(v, off, inj, leak, tol, max_sweeps, sweeps, group_of, grp_ptr, grp_nodes,
          adj_ptr, adj_node, adj_res, cond, idio_ptr, idio_idx, idio_role, i_a, i_c, i_vf,
          sdio_ptr, sdio_idx, sdio_role, s_a, s_c, s_is, s_nvt, pair_diodes):
    """Gauss-Seidel sweeps over the groups (colour order) and the active diode pairs.

    Each example b runs until the largest change of a sweep is <= tol (volts) or
    max_sweeps; sweeps[b] receives the count, or -1 when a diode interval was empty.
    tol < 0 runs exactly max_sweeps sweeps.
    """
    n_groups = len(grp_ptr) - 1
    for b in prange(v.shape[0]):
        sweeps[b] = max_sweeps
        for sweep in range(max_sweeps):
            change = 0.0
            for g in range(n_groups):
                delta = block_update(
                    v, off, inj, leak, b, g, 0.0, -1, 0.0, group_of, grp_ptr, grp_nodes,
                    adj_ptr, adj_node, adj_res, cond, idio_ptr, idio_idx, idio_role, i_a, i_c, i_vf,
                    sdio_ptr, sdio_idx, sdio_role, s_a, s_c, s_is, s_nvt)
                change = max(change, delta) if delta >= 0.0 else math.inf
            for d in pair_diodes:
                a, c = i_a[d], i_c[d]
                if i_vf[d] - (v[b, a] - v[b, c]) <= max(tol, 0.0) * 10.0 + 1e-12:
                    shift = i_vf[d] + off[b, c] - off[b, a]
                    delta = block_update(
                        v, off, inj, leak, b, group_of[c], 0.0, group_of[a], shift, group_of,
                        grp_ptr, grp_nodes, adj_ptr, adj_node, adj_res, cond, idio_ptr, idio_idx,
                        idio_role, i_a, i_c, i_vf, sdio_ptr, sdio_idx, sdio_role, s_a, s_c,
                        s_is, s_nvt)
                    change = max(change, delta) if delta >= 0.0 else math.inf
            if change == math.inf:
                sweeps[b] = -1
                break
            if change <= tol:
                sweeps[b] = sweep + 1
                break
