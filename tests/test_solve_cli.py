"""`circuitnet solve`: table and JSON output, --set, errors."""
import json
from pathlib import Path

import pytest

from circuitnet.cli import main

NETLISTS = Path(__file__).parents[1] / "netlists"


def test_json_shape_and_values(capsys):
    assert main(["solve", str(NETLISTS / "divider.cir"), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data) == {"nodes", "currents", "solver", "sweeps", "residual", "seconds"}
    assert "0" not in data["nodes"] and data["solver"] == "cd"
    assert all(name == name.lower() for name in [*data["nodes"], *data["currents"]])


def test_set_overrides_a_source(capsys):
    main(["solve", str(NETLISTS / "clipper.cir"), "--json", "--set", "vin=-3"])
    negative = json.loads(capsys.readouterr().out)["nodes"]["out"]
    main(["solve", str(NETLISTS / "clipper.cir"), "--json", "--set", "Vin=3"])
    positive = json.loads(capsys.readouterr().out)["nodes"]["out"]
    assert negative == pytest.approx(-positive, rel=1e-9) and 0.3 < positive < 0.9


def test_table_lists_nodes_and_currents(capsys):
    main(["solve", str(NETLISTS / "divider.cir")])
    out = capsys.readouterr().out
    assert "voltage (V)" in out and "current (A)" in out and "KKT residual" in out


@pytest.mark.parametrize("setting", ["vin", "vin=abc", "=3"])
def test_bad_set_is_a_clear_error(capsys, setting):
    assert main(["solve", str(NETLISTS / "clipper.cir"), "--set", setting]) == 2
    assert "--set expects NAME=VALUE" in capsys.readouterr().err


def test_unknown_source_is_a_clear_error(capsys):
    assert main(["solve", str(NETLISTS / "clipper.cir"), "--set", "vnope=1"]) == 2
    assert "vnope" in capsys.readouterr().err
