"""The run directory: which epoch best.npz holds, that the summary names that epoch, the
order and permissions of its files, what a killed or failed start leaves, and curves.png."""
import os
import re
import stat

import numpy as np
import pytest

from circuitnet.cli import main
from circuitnet.errors import CircuitError, DataError
from circuitnet.learning import rundir as rundir_module
from circuitnet.learning.checkpoint import load_checkpoint
from circuitnet.learning.rundir import RunDirectory, best_record, curves_figure
from circuitnet.learning.trainer import EpochRecord, Trainer
from circuitnet.model.networks import build_drn

NAN = float("nan")


def record(epoch: int, train_error: float, test_error: float) -> EpochRecord:
    return EpochRecord(epoch, train_loss=0.1, train_error=train_error, test_error=test_error, seconds=1.0)


def test_best_is_the_lowest_test_error():
    history = [record(1, 0.5, 0.30), record(2, 0.1, 0.20), record(3, 0.0, 0.25)]
    assert best_record(history).epoch == 2


def test_a_tie_goes_to_the_latest_epoch():
    """best.npz is rewritten on a tie, so the later of two equal epochs is the one it holds."""
    history = [record(1, 0.5, 0.30), record(2, 0.4, 0.20), record(3, 0.3, 0.25), record(4, 0.2, 0.20)]
    assert best_record(history).epoch == 4


def test_without_a_test_set_the_train_error_decides():
    history = [record(1, 0.5, NAN), record(2, 0.2, NAN), record(3, 0.3, NAN)]
    assert best_record(history).epoch == 2


def test_summary_names_the_epoch_in_best_npz(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "netlists/digits_drn.cir", "--data", "digits", "--out", str(out), "--epochs", "4",
                 "--quiet"]) == 0
    named = int(re.search(r"best test error [0-9.]+% at epoch (\d+)", capsys.readouterr().out).group(1))
    best = load_checkpoint(out / "best.npz")
    history = best.state["history"]
    assert named == best.epoch
    assert history[-1, 3] == pytest.approx(min(history[:, 3]))  # best.npz's own epoch has the lowest test error


# -- the files of a run directory -----------------------------------------------------------

def trainer_after(*records: EpochRecord) -> Trainer:
    """A tiny Trainer whose history is `records` (what save_epoch reads)."""
    trainer = Trainer(build_drn(2, [2], 1, seed=0), epochs=len(records))
    trainer.history_ = list(records)
    return trainer


def test_a_kill_between_the_checkpoint_writes_never_leaves_best_older_than_the_history(tmp_path, monkeypatch):
    """Epoch 2 is the best; the process dies at the second checkpoint write of epoch 2. The
    best epoch of what last.npz and metrics.csv hold is never newer than best.npz."""
    run = RunDirectory(tmp_path)
    run.save_epoch(trainer_after(record(1, 0.5, 0.4)), "t\n.end\n", "t.cir")
    honest, writes = rundir_module.save_checkpoint, []

    def killed_at_the_second_write(path, *args):
        writes.append(path)
        if len(writes) == 2:
            raise KeyboardInterrupt
        honest(path, *args)

    monkeypatch.setattr(rundir_module, "save_checkpoint", killed_at_the_second_write)
    with pytest.raises(KeyboardInterrupt):
        run.save_epoch(trainer_after(record(1, 0.5, 0.4), record(2, 0.3, 0.2)), "t\n.end\n", "t.cir")
    last, best = load_checkpoint(run.last), load_checkpoint(run.best)
    history = [EpochRecord(int(r[0]), *r[1:]) for r in last.state["history"]]
    assert best.epoch >= best_record(history).epoch
    assert run.metrics.read_text().splitlines()[-1].startswith(f"{last.epoch},")  # metrics.csv is last.npz's


def test_checkpoints_get_the_permissions_of_the_other_files(tmp_path):
    run = RunDirectory(tmp_path / "run")
    old = os.umask(0o022)
    try:
        run.create({"settings": {}})
        run.save_epoch(trainer_after(record(1, 0.5, 0.4)), "t\n.end\n", "t.cir")
    finally:
        os.umask(old)
    modes = {path.name: stat.S_IMODE(path.stat().st_mode) for path in (run.config_path, run.last, run.best,
                                                                      run.metrics)}
    assert modes == dict.fromkeys(modes, 0o644)


def test_temporaries_of_a_killed_write_are_removed(tmp_path):
    run = RunDirectory(tmp_path)
    orphans = [tmp_path / ".last.npz.0a1b2c3d4e5f.tmp", tmp_path / ".best.npz.ffffffffffff.tmp",
               tmp_path / ".metrics.csv.123456789abc.tmp"]
    kept = [tmp_path / ".notes.tmp", tmp_path / "last.npz.bak"]
    for path in orphans + kept:
        path.write_bytes(b"PK half")
    run.create({"settings": {}})
    assert [p for p in orphans if p.exists()] == [] and all(p.exists() for p in kept)
    orphans[0].write_bytes(b"PK half")
    run.resume(run.read_config())
    assert not orphans[0].exists()


def test_a_new_start_replaces_what_a_failed_start_wrote(tmp_path):
    """config.json without last.npz is a start that failed: a new start replaces it and removes
    what came after it; with last.npz the directory holds a run and is refused."""
    run = RunDirectory(tmp_path)
    run.create({"settings": {"beta": 5.0}})
    run.best.write_bytes(b"stale")
    assert not run.holds_run() and run.resume_point() is None
    run.create({"settings": {"beta": 0.1}})
    assert run.read_config()["settings"] == {"beta": 0.1} and not run.best.exists()
    run.save_epoch(trainer_after(record(1, 0.5, 0.4)), "t\n.end\n", "t.cir")
    with pytest.raises(CircuitError, match="already holds a run"):
        run.create({"settings": {}})


def test_a_new_start_leaves_files_alone_in_a_directory_that_was_never_a_run(tmp_path):
    (tmp_path / "trained.cir").write_text("mine\n")
    RunDirectory(tmp_path).create({"settings": {}})
    assert (tmp_path / "trained.cir").read_text() == "mine\n"


def test_resume_updates_the_config_and_keeps_the_record(tmp_path):
    run = RunDirectory(tmp_path)
    run.create({"settings": {"lr": 0.01}})
    created = run.read_config()
    run.resume({**created, "settings": {"lr": 0.05}})
    resumed = run.read_config()
    assert resumed["settings"] == {"lr": 0.05} and resumed["versions"] == created["versions"]
    assert resumed["argv"] == created["argv"] and len(resumed["resumed"]) == 1


@pytest.mark.parametrize("which, advice", [("last", "copy .*best.npz over it"), ("best", "without --best")])
def test_a_damaged_checkpoint_names_the_file_and_what_to_do(tmp_path, which, advice):
    run = RunDirectory(tmp_path)
    run.save_epoch(trainer_after(record(1, 0.5, 0.4)), "t\n.end\n", "t.cir")
    damaged = run.last if which == "last" else run.best
    damaged.write_bytes(damaged.read_bytes()[:100])
    with pytest.raises(DataError, match=rf"{damaged.name}: cannot read checkpoint.*damaged.*{advice}"):
        run.checkpoint(which)
    with pytest.raises(DataError, match=r"no last.npz: not a training run directory, or no epoch finished yet"):
        RunDirectory(tmp_path / "empty").checkpoint("last")


@pytest.mark.parametrize("history", [
    [record(1, 0.5, 0.30), record(2, 0.1, 0.20), record(3, 0.0, 0.25)],  # a train error of 0
    [record(1, 0.5, NAN), record(2, 0.2, NAN), record(3, 0.3, NAN)],  # no test set
    [record(1, 0.0, 0.0)],  # nothing positive
])
def test_curves_draw_the_error_on_a_log_axis_and_mark_the_best_epoch(history, tmp_path):
    figure = curves_figure(history)
    loss, error = figure.axes
    assert error.get_yscale() == "log" and loss.get_yscale() == "linear"
    best = best_record(history).epoch
    for axes in (loss, error):
        marks = [line for line in axes.get_lines() if line.get_label().startswith("best.npz: epoch")]
        assert len(marks) == 1 and list(marks[0].get_xdata()) == [best, best]
    drawn = np.concatenate([line.get_ydata() for line in error.get_lines()[:-1]])
    assert np.all(drawn[np.isfinite(drawn)] > 0)  # a 0 % error is drawn at the floor, not lost
    rundir_module.plot_curves(history, tmp_path / "curves.png")
    assert (tmp_path / "curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
