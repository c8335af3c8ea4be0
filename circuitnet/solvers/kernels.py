"""Numba kernels of the coordinate-descent solver. Plain arrays in, plain arrays out.

Notation: v (batch, n_all) node voltages; off (batch, n_all) node offsets within their
group, so a free node's voltage is u + off where u is its group's unknown. A *block* is a
set of groups that move together: one group, or the groups joined by conducting ideal
diodes, group k of the block sitting at u + shift[k]. `mark[g] == token` tells that group
g is in the current block.
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from .stop_rule import contraction_rate, over_relaxation, settled

NEWTON_ITERATIONS = 200
EMPTY_SWEEPS = 50


@njit(cache=True)
def _inside(group, mark, token):
    return group >= 0 and mark[group] == token


@njit(cache=True)
def _quadratic(v, off, inj, leak, b, g, shift, mark, token, group_of, grp_ptr, grp_nodes,
               adj_ptr, adj_node, adj_res, cond):
    """Numerator and denominator of the energy's quadratic part over group g's members."""
    num = 0.0
    den = 0.0
    for p in range(grp_ptr[g], grp_ptr[g + 1]):
        m = grp_nodes[p]
        base = shift + off[b, m]
        num += inj[b, m] - leak[m] * base
        den += leak[m]
        for q in range(adj_ptr[m], adj_ptr[m + 1]):
            k = adj_node[q]
            if not _inside(group_of[k], mark, token):
                c = cond[adj_res[q]]
                num += c * (v[b, k] - base)
                den += c
    return num, den


@njit(cache=True)
def _interval(v, off, b, g, shift, mark, token, lo, hi, group_of, grp_ptr, grp_nodes,
              dio_ptr, dio_idx, dio_role, dio_a, dio_c, vf):
    """Tighten [lo, hi] of the block unknown by the ideal diodes at group g's members."""
    for p in range(grp_ptr[g], grp_ptr[g + 1]):
        m = grp_nodes[p]
        base = shift + off[b, m]
        for q in range(dio_ptr[m], dio_ptr[m + 1]):
            d = dio_idx[q]
            other = dio_c[d] if dio_role[q] > 0 else dio_a[d]
            if _inside(group_of[other], mark, token):
                continue
            if dio_role[q] > 0:
                hi = min(hi, vf[d] + v[b, other] - base)
            else:
                lo = max(lo, v[b, other] - vf[d] - base)
    return lo, hi


@njit(cache=True)
def _junctions(u, v, off, b, g, shift, mark, token, group_of, grp_ptr, grp_nodes,
               sdio_ptr, sdio_idx, sdio_role, s_a, s_c, s_is, s_nvt):
    """Shockley current leaving group g's members at block value u, its derivative, and a count."""
    total = 0.0
    slope = 0.0
    count = 0
    for p in range(grp_ptr[g], grp_ptr[g + 1]):
        m = grp_nodes[p]
        vm = u + shift + off[b, m]
        for q in range(sdio_ptr[m], sdio_ptr[m + 1]):
            d = sdio_idx[q]
            role = sdio_role[q]
            other = s_c[d] if role > 0 else s_a[d]
            if _inside(group_of[other], mark, token):
                continue
            e = math.exp(role * (vm - v[b, other]) / s_nvt[d])
            total += role * s_is[d] * (e - 1.0)
            slope += s_is[d] * e / s_nvt[d]
            count += 1
    return total, slope, count


@njit(cache=True)
def _newton_root(u, num, den, v, off, b, blk, shift, n_blk, mark, token, group_of, grp_ptr,
                 grp_nodes, sdio_ptr, sdio_idx, sdio_role, s_a, s_c, s_is, s_nvt):
    """Root of f(u) = den*u - num + junction currents (increasing in u): safeguarded Newton."""
    lo = -math.inf
    hi = math.inf
    for _ in range(NEWTON_ITERATIONS):
        f = den * u - num
        df = den
        for k in range(n_blk):
            t, s, _c = _junctions(u, v, off, b, blk[k], shift[k], mark, token, group_of, grp_ptr,
                                  grp_nodes, sdio_ptr, sdio_idx, sdio_role, s_a, s_c, s_is, s_nvt)
            f += t
            df += s
        if f > 0.0:
            hi = u
        else:
            lo = u
        nxt = u - f / df
        if not (lo < nxt < hi):
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
def block_update(v, off, inj, leak, b, blk, shift, n_blk, omega, mark, token, group_of, grp_ptr,
                 grp_nodes, adj_ptr, adj_node, adj_res, cond, idio_ptr, idio_idx, idio_role,
                 i_a, i_c, i_vf, sdio_ptr, sdio_idx, sdio_role, s_a, s_c, s_is, s_nvt):
    """Exactly minimise the energy over one block and write its voltages.

    omega > 1 over-relaxes quadratic blocks (successive over-relaxation, then the clip);
    blocks with Shockley junctions always take the exact minimiser. Returns (|change| in volts, whether the block's ideal-diode interval was empty). An
    empty interval is not yet an infeasible circuit: the neighbours may still move.
    """
    m0 = grp_nodes[grp_ptr[blk[0]]]
    u_old = v[b, m0] - off[b, m0] - shift[0]
    num = 0.0
    den = 0.0
    lo = -math.inf
    hi = math.inf
    junctions = 0
    for k in range(n_blk):
        n, d = _quadratic(v, off, inj, leak, b, blk[k], shift[k], mark, token, group_of,
                          grp_ptr, grp_nodes, adj_ptr, adj_node, adj_res, cond)
        num += n
        den += d
        lo, hi = _interval(v, off, b, blk[k], shift[k], mark, token, lo, hi, group_of, grp_ptr,
                           grp_nodes, idio_ptr, idio_idx, idio_role, i_a, i_c, i_vf)
        junctions += _junctions(u_old, v, off, b, blk[k], shift[k], mark, token, group_of,
                                grp_ptr, grp_nodes, sdio_ptr, sdio_idx, sdio_role, s_a, s_c,
                                s_is, s_nvt)[2]
    empty = lo > hi + 1e-9 * (1.0 + abs(lo))
    if junctions:
        u = _newton_root(u_old, num, den, v, off, b, blk, shift, n_blk, mark, token, group_of,
                         grp_ptr, grp_nodes, sdio_ptr, sdio_idx, sdio_role, s_a, s_c, s_is, s_nvt)
    else:
        u = u_old + omega * (num / den - u_old)
    u = min(max(u, lo), hi)
    for k in range(n_blk):
        for p in range(grp_ptr[blk[k]], grp_ptr[blk[k] + 1]):
            m = grp_nodes[p]
            v[b, m] = u + shift[k] + off[b, m]
    return abs(u - u_old), empty


@njit(cache=True)
def conducting_block(v, off, b, start, blk, shift, seen, pass_id, tight, group_of,
                     pgrp_ptr, pgrp_idx, i_a, i_c, i_vf):
    """Collect the groups joined to `start` by conducting diodes (slack <= tight), breadth first.

    Fills blk/shift (shift relative to `start`), marks them in `seen`; returns their count.
    """
    blk[0] = start
    shift[0] = 0.0
    seen[start] = pass_id
    count = 1
    head = 0
    while head < count:
        g = blk[head]
        for q in range(pgrp_ptr[g], pgrp_ptr[g + 1]):
            d = pgrp_idx[q]
            a = i_a[d]
            c = i_c[d]
            if i_vf[d] - (v[b, a] - v[b, c]) > tight:
                continue
            holds_anode = group_of[a] == g
            other = group_of[c] if holds_anode else group_of[a]
            if seen[other] == pass_id:
                continue
            seen[other] = pass_id
            blk[count] = other
            if holds_anode:
                shift[count] = shift[head] + off[b, a] - off[b, c] - i_vf[d]
            else:
                shift[count] = shift[head] + i_vf[d] + off[b, c] - off[b, a]
            count += 1
        head += 1
    return count


@njit(parallel=True, cache=True)
def relax(v, off, inj, leak, tol, tight, max_sweeps, adapt, sweeps, group_of, grp_ptr, grp_nodes,
          adj_ptr, adj_node, adj_res, cond, idio_ptr, idio_idx, idio_role, i_a, i_c, i_vf,
          sdio_ptr, sdio_idx, sdio_role, s_a, s_c, s_is, s_nvt, pgrp_ptr, pgrp_idx):
    """Gauss-Seidel sweeps: every group (in colour order), then every conducting-diode block.

    A diode conducts when its slack is at most `tight` volts.
    When `adapt`, the observed contraction rate sets the over-relaxation factor of single
    groups (`stop_rule.over_relaxation`; conducting-diode blocks take the exact minimiser).
    Each example b runs until `stop_rule.settled` (tol in volts) or max_sweeps; sweeps[b]
    receives the count, or -1 when some diode
    interval was empty in EMPTY_SWEEPS sweeps in a row (infeasible diode constraints).
    tol < 0 runs exactly max_sweeps sweeps.
    """
    n_groups = len(grp_ptr) - 1
    for b in prange(v.shape[0]):
        mark = np.full(n_groups, -1, dtype=np.int64)
        seen = np.full(n_groups, -1, dtype=np.int64)
        blk = np.zeros(max(n_groups, 1), dtype=np.int64)
        shift = np.zeros(max(n_groups, 1))
        token = 0
        previous = math.inf
        omega = 1.0
        empty_run = 0
        sweeps[b] = max_sweeps
        for sweep in range(max_sweeps):
            change = 0.0
            saw_empty = False
            for g in range(n_groups):
                token += 1
                mark[g] = token
                blk[0] = g
                shift[0] = 0.0
                delta, empty = block_update(v, off, inj, leak, b, blk, shift, 1, omega, mark, token, group_of,
                                     grp_ptr, grp_nodes, adj_ptr, adj_node, adj_res, cond,
                                     idio_ptr, idio_idx, idio_role, i_a, i_c, i_vf,
                                     sdio_ptr, sdio_idx, sdio_role, s_a, s_c, s_is, s_nvt)
                change = max(change, delta)
                saw_empty = saw_empty or empty
            for g in range(n_groups):
                if pgrp_ptr[g + 1] == pgrp_ptr[g] or seen[g] == sweep:
                    continue
                n_blk = conducting_block(v, off, b, g, blk, shift, seen, sweep, tight, group_of,
                                         pgrp_ptr, pgrp_idx, i_a, i_c, i_vf)
                if n_blk < 2:
                    continue
                token += 1
                for k in range(n_blk):
                    mark[blk[k]] = token
                delta, empty = block_update(v, off, inj, leak, b, blk, shift, n_blk, 1.0, mark, token,
                                     group_of, grp_ptr, grp_nodes, adj_ptr, adj_node, adj_res,
                                     cond, idio_ptr, idio_idx, idio_role, i_a, i_c, i_vf,
                                     sdio_ptr, sdio_idx, sdio_role, s_a, s_c, s_is, s_nvt)
                change = max(change, delta)
                saw_empty = saw_empty or empty
            empty_run = empty_run + 1 if saw_empty else 0
            if empty_run >= EMPTY_SWEEPS:
                sweeps[b] = -1
                break
            rate = contraction_rate(change, previous, omega)
            previous = change
            if adapt:
                omega = over_relaxation(sweep, rate, omega)
            if not saw_empty and settled(change, rate, tol):
                sweeps[b] = sweep + 1
                break
