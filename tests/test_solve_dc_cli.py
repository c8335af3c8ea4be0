"""`circuitnet solve --dc` and the netlist's own `.dc` card: JSON, table, plot, errors."""
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from ngspice_util import run_ngspice_dc, spice_test

from circuitnet.cli import main
from circuitnet.solvers.spice import SHOCKLEY_TOLERANCE

NETLISTS = Path(__file__).parents[1] / "netlists"
DIVIDER = str(NETLISTS / "divider.cir")  # v(out) = 2/3 v1

TWO = """two sources into one node, and a diode
v1 a 0 dc 1
i2 0 c dc 0
r1 a c 1k
r2 c 0 1k
d1 c 0 dm
.model dm D (is=1e-14 n=1.2)
.options reltol=1e-9 abstol=1e-15 vntol=1e-12 gmin=1e-12 itl1=1000
.dc v1 -1 1 0.5 i2 0 2m 1m
.end
"""


def solve_json(capsys, *args: str) -> dict:
    assert main(["solve", *args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.fixture
def two(tmp_path) -> str:
    path = tmp_path / "two.cir"
    path.write_text(TWO)
    return str(path)


def test_dc_json_shape_and_divider_values(capsys):
    data = solve_json(capsys, DIVIDER, "--dc", "V1", "-2", "2", "500m")  # suffixes, any case
    assert set(data) == {"sweep", "nodes", "currents", "solver", "seconds"}
    assert data["sweep"] == {"source": "v1", "values": [-2, -1.5, -1, -0.5, 0, 0.5, 1, 1.5, 2]}
    assert set(data["nodes"]) == {"in", "out"} and data["solver"] == "cd" and data["seconds"] > 0
    v1 = np.array(data["sweep"]["values"])
    np.testing.assert_allclose(data["nodes"]["out"], 2 / 3 * v1, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(data["currents"]["r2"], v1 / 3e3, rtol=1e-12, atol=1e-18)
    assert set(data["currents"]) == {"v1", "r1", "r2"}


def test_table_has_one_row_per_point_and_one_column_per_node(capsys):
    assert main(["solve", DIVIDER, "--dc", "v1", "0", "1", "0.25"]) == 0
    out = capsys.readouterr().out
    voltages, currents, footer = out.strip().split("\n\n")
    lines = voltages.splitlines()
    assert lines[0] == "node voltages (V)" and lines[1].split() == ["v1", "(V)", "v(in)", "v(out)"]
    rows = [list(map(float, line.split())) for line in lines[2:]]
    np.testing.assert_allclose(rows, [[v, v, 2 / 3 * v] for v in (0, 0.25, 0.5, 0.75, 1)], rtol=5e-9)  # 9 digits
    header = currents.splitlines()[1].split()
    assert header[:2] == ["v1", "(V)"] and sorted(header[2:]) == ["i(r1)", "i(r2)", "i(v1)"]
    assert len(currents.splitlines()) == 7 and "5 points" in footer


def test_netlist_card_runs_unless_op_or_dc_given(capsys, two):
    card = solve_json(capsys, two)
    assert card["sweep"]["source"] == "v1" and card["sweep"]["source2"] == "i2"
    assert len(card["nodes"]["c"]) == 15
    op = solve_json(capsys, two, "--op")
    assert op["nodes"]["c"] == pytest.approx(0.5, abs=1e-4)  # v1 = 1 V, i2 = 0, d1 barely on
    given = solve_json(capsys, two, "--dc", "i2", "0", "1m", "1m")
    assert given["sweep"] == {"source": "i2", "values": [0, 1e-3]}


@spice_test
def test_two_sources_flat_order_matches_ngspice(capsys, two):
    data = solve_json(capsys, two)
    spice = run_ngspice_dc(TWO)
    inner, outer = [-1, -0.5, 0, 0.5, 1], [0, 1e-3, 2e-3]
    np.testing.assert_allclose(data["sweep"]["values"], np.tile(inner, 3), atol=1e-15)
    np.testing.assert_allclose(data["sweep"]["values2"], np.repeat(outer, 5), atol=1e-18)
    np.testing.assert_allclose(data["sweep"]["values"], spice["v(a)"], atol=1e-12)  # v1 runs fastest
    np.testing.assert_allclose(data["nodes"]["c"], spice["v(c)"], rtol=0, atol=SHOCKLEY_TOLERANCE)
    np.testing.assert_allclose(data["currents"]["v1"], spice["i(v1)"], rtol=1e-6, atol=1e-11)


@spice_test
def test_spice_solver_sweep_matches_ngspice_dc(capsys, two):
    data = solve_json(capsys, two, "--solver", "spice", "--dc", "v1", "-1", "1", "0.1")
    spice = run_ngspice_dc(TWO.replace(".dc v1 -1 1 0.5 i2 0 2m 1m", ".dc v1 -1 1 0.1"))
    assert data["solver"] == "spice"
    np.testing.assert_allclose(data["nodes"]["c"], spice["v(c)"], rtol=0, atol=1e-9)


def test_set_holds_another_source(capsys, two):
    data = solve_json(capsys, two, "--dc", "v1", "0", "0", "1", "--set", "i2=-1m")
    # v1 = 0 and 1 mA drawn out of c: v(c) = -1 mA * (1k || 1k), the diode reverse biased
    assert data["nodes"]["c"][0] == pytest.approx(-0.5, rel=1e-6)


def test_plot_writes_a_png(tmp_path, capsys, two):
    for netlist, extra in ((DIVIDER, ["--dc", "v1", "0", "1", "0.1"]), (two, [])):
        image = tmp_path / f"{Path(netlist).stem}.png"
        assert main(["solve", netlist, *extra, "--plot", str(image)]) == 0
        assert image.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    capsys.readouterr()


@pytest.mark.parametrize("args, match", [
    (["--dc", "vnope", "0", "1", "0.1"], "cannot sweep 'vnope': no V or I source"),
    (["--dc", "r1", "0", "1", "0.1"], "r1 is a resistor, not a V or I source"),
    (["--dc", "v1", "0", "1", "0"], "step must not be 0"),
    (["--dc", "v1", "0", "1", "-0.1"], "step must be positive"),
    (["--dc", "v1", "1", "0", "0.1"], "step must be negative"),
    (["--dc", "v1", "0", "1"], "--dc expects SRC START STOP STEP"),
    (["--dc", "v1", "0", "1", "0.1", "v1"], "--dc expects SRC START STOP STEP"),
    (["--dc", "v1", "0", "x", "0.1"], "must be numbers, got 0 x 0.1"),
    (["--dc", "v1", "0", "1", "0.5", "v1", "0", "1", "1"], "two different sources"),
    (["--dc", "v1", "0", "1", "0.5", "--set", "v1=2"], "cannot also be held fixed"),
    (["--plot", "out.png"], "--plot draws a DC sweep"),
    (["--dc", "v1", "0", "1", "0.5", "--plot", "/nonexistent/dir/out.png"], "cannot write"),
])
def test_errors_exit_2_with_a_message(capsys, args, match):
    assert main(["solve", DIVIDER, *args]) == 2
    err = capsys.readouterr().err
    assert match in err and "Traceback" not in err


def test_bad_card_in_the_netlist_names_the_line(tmp_path, capsys):
    path = tmp_path / "bad.cir"
    path.write_text(TWO.replace(".dc v1 -1 1 0.5 i2 0 2m 1m", ".dc v1 -1 1 -0.5"))
    assert main(["solve", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"{path}:9: '.dc v1 -1 1 -0.5'" in err and "must be positive" in err


def test_no_traceback_from_the_command(tmp_path):
    done = subprocess.run([sys.executable, "-m", "circuitnet", "solve", DIVIDER, "--dc", "v1", "0", "1", "0"],
                          capture_output=True, text=True)
    assert done.returncode == 2 and "step must not be 0" in done.stderr and "Traceback" not in done.stderr
