"""`solver="auto"`: which method solves a circuit, and who takes over when it stalls.

The choice follows what each method is exact and fast at:

- fixed-sweep mode (`sweeps=K`, training as the reference does it): coordinate descent,
  the only method with sweeps;
- ideal diodes (the layered training networks, clippers): coordinate descent with the
  exact active-set polish (dense blocks on layered networks);
- Shockley diodes, VCVS or no free node, and no ideal diode: Newton on the nodal equations;
- G, F or H cards: Newton only (nonsymmetric equations: nothing for cd or qp to minimise).

When the chosen method raises ConvergenceError the next one in its chain runs (cd ->
newton where newton applies, else qp; newton -> qp where qp applies); `Solution.info`
records the method, the reason and every handover.
"""
from __future__ import annotations

from ..compile.tables import CompiledCircuit
from ..errors import ConvergenceError


def choose(cc: CompiledCircuit, sweeps: int | None) -> tuple[list[str], str]:
    """The methods to try in order, and why the first one."""
    if sweeps is not None:
        return ["cd"], "fixed-sweep mode is coordinate descent's"
    if cc.nonsymmetric:
        return ["newton"], "controlled sources (G, F, H): Newton on the modified nodal equations"
    smooth = bool(len(cc.shock_a) or len(cc.vcvs_names))
    if len(cc.ideal_a):
        reason = "ideal diodes: coordinate descent with the exact active-set polish"
        return (["cd", "qp"] if not len(cc.vcvs_names) else ["cd"]), reason
    if smooth or cc.n_groups == 0:
        what = "Shockley diodes" if len(cc.shock_a) else "VCVS" if len(cc.vcvs_names) else "no free node"
        chain = ["newton"] + (["qp"] if not len(cc.vcvs_names) and cc.plain_junctions else [])
        return chain, f"{what}: Newton on the nodal equations"
    return ["cd", "newton"], "resistors and sources only: coordinate descent with the exact polish"


def run_chain(methods: list[str], reason: str, attempt) -> object:
    """attempt(method) for each method until one returns; the Solution's info records
    the method, the reason and the failures handed over. Re-raises the last failure."""
    failures = []
    for method in methods:
        try:
            solution = attempt(method)
        except ConvergenceError as error:
            failures.append(f"{method}: {error}")
            if method == methods[-1]:
                raise ConvergenceError("; then ".join(failures)) from None
            continue
        solution.info.update(method=method, reason=reason)
        if failures:
            solution.info["handover"] = failures
        return solution
    raise AssertionError("no method to try")
