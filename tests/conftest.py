"""Shared fixtures."""
from __future__ import annotations

import pytest


@pytest.fixture
def ngspice():
    """The in-process ngspice session; skips the test where ngspice or PySpice is missing."""
    from circuitnet.errors import SolverUnavailableError
    from circuitnet.solvers.spice import ngspice_session

    try:
        return ngspice_session()
    except SolverUnavailableError as error:
        pytest.skip(str(error))
