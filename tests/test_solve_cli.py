"""`circuitnet solve`: table and JSON output, --set, errors."""
import json
import subprocess
import sys
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


@pytest.mark.parametrize("verb", ["solve", "check"])
@pytest.mark.parametrize("path, reason", [("no/such/file.cir", "No such file or directory"), (".", "Is a directory")])
def test_an_unreadable_netlist_is_one_line_not_a_traceback(verb, path, reason, capsys):
    assert main([verb, path]) == 2
    err = capsys.readouterr().err
    assert err == f"circuitnet {verb}: error: cannot read {path}: {reason}\n"


def test_a_closed_pipe_ends_quietly():
    # `circuitnet solve ... | head -c 20`: the reader goes away before the table is written
    process = subprocess.Popen([sys.executable, "-m", "circuitnet", "solve", "netlists/digits_drn.cir"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    with process:
        process.stdout.read(20)
        process.stdout.close()
        err = process.stderr.read().decode()
    assert "Traceback" not in err and "BrokenPipeError" not in err
    assert process.returncode in (0, 1)


def test_ctrl_c_during_train_says_how_to_resume(monkeypatch, capsys):
    import circuitnet.cli.train as train

    def interrupted(args):
        raise KeyboardInterrupt

    monkeypatch.setattr(train, "run", interrupted)
    assert main(["train", "netlists/xor_drn.cir", "--data", "digits", "--out", "unused"]) == 130
    assert "interrupted; the run directory keeps every finished epoch" in capsys.readouterr().err
