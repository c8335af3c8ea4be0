"""Tests of circuitnet.learning.checkpoint: round trip, atomic writes, bad files, resuming training."""
from __future__ import annotations

import gc
import os
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pytest

from circuitnet.errors import DataError
from circuitnet.learning.checkpoint import Checkpoint, load_checkpoint, save_checkpoint
from circuitnet.learning.optimizer import SGD
from circuitnet.learning.parameters import Parameters
from circuitnet.model.circuit import Bounds
from circuitnet.netlist import parse_netlist

XOR = Path(__file__).resolve().parent.parent / "netlists" / "xor.cir"


@pytest.fixture
def netlist() -> str:
    return XOR.read_text()


@pytest.fixture
def trained(netlist) -> Parameters:
    """The xor netlist's trainable parameters with seeded 'trained' values."""
    params = Parameters.from_circuit(parse_netlist(netlist, "xor.cir"))
    rng = np.random.default_rng(0)
    params.conductances[:] = rng.uniform(1e-5, 5e-3, params.conductances.size)
    params.biases[:] = rng.uniform(-1e-4, 1e-4, params.biases.size)
    return params


def state_of(params: Parameters, epoch: int, rng=None) -> dict[str, np.ndarray]:
    """A state shaped like Trainer.state()."""
    rng = rng or np.random.default_rng(1)
    return {"conductances": params.conductances.copy(), "biases": params.biases.copy(),
            "resistors": np.array(params.resistors, dtype=str), "sources": np.array(params.sources, dtype=str),
            "epoch": np.array(epoch), "history": rng.uniform(size=(epoch, 5)),
            "velocity_g": rng.normal(size=params.conductances.size),
            "velocity_b": rng.normal(size=params.biases.size)}


def test_round_trip_of_state_and_netlist(tmp_path, netlist, trained):
    """Every state array, the netlist text and the source file name come back unchanged."""
    state = state_of(trained, epoch=3)
    save_checkpoint(tmp_path / "ckpt.npz", state, netlist, "xor.cir")
    checkpoint = load_checkpoint(tmp_path / "ckpt.npz")
    assert isinstance(checkpoint, Checkpoint)
    assert set(checkpoint.state) == set(state)
    for key, value in state.items():
        np.testing.assert_array_equal(checkpoint.state[key], value, err_msg=key)
        assert checkpoint.state[key].dtype.kind == value.dtype.kind
    assert checkpoint.netlist == netlist
    assert checkpoint.source_file == "xor.cir"
    assert checkpoint.epoch == 3 and isinstance(checkpoint.epoch, int)


def test_parameters_of_a_checkpoint(tmp_path, netlist, trained):
    """parameters() gives the saved names and values, as arrays independent of the checkpoint."""
    save_checkpoint(tmp_path / "c.npz", state_of(trained, 2), netlist, "xor.cir")
    checkpoint = load_checkpoint(tmp_path / "c.npz")
    params = checkpoint.parameters()
    assert params.resistors == trained.resistors and params.sources == trained.sources
    np.testing.assert_array_equal(params.conductances, trained.conductances)
    np.testing.assert_array_equal(params.biases, trained.biases)
    params.conductances[:] = 0.0
    np.testing.assert_array_equal(checkpoint.state["conductances"], trained.conductances)


def test_circuit_of_a_checkpoint_carries_the_trained_values(tmp_path, netlist, trained):
    """circuit() rebuilds the netlist with R = 1/g and I = b for the trainable elements and
    every other element as in the netlist."""
    save_checkpoint(tmp_path / "c.npz", state_of(trained, 1), netlist, "xor.cir")
    circuit = load_checkpoint(tmp_path / "c.npz").circuit()
    original = parse_netlist(netlist, "xor.cir")
    assert list(circuit.elements) == list(original.elements)
    for name, g in zip(trained.resistors, trained.conductances):
        assert circuit.elements[name].value == pytest.approx(1.0 / g, rel=1e-15)
    for name, b in zip(trained.sources, trained.biases):
        assert circuit.elements[name].value == b
    trainable = set(trained.resistors) | set(trained.sources)
    for name, element in original.elements.items():
        if name not in trainable:
            assert circuit.elements[name].value == element.value, name
    assert circuit.source_file == "xor.cir"


def test_source_file_defaults_to_the_checkpoint_name(tmp_path, netlist, trained):
    """A checkpoint written without source_file names its own file instead."""
    state = state_of(trained, 1)
    np.savez(tmp_path / "bare.npz", netlist=np.array(netlist), **state)
    assert load_checkpoint(tmp_path / "bare.npz").source_file == "bare.npz"


def test_saving_again_replaces_and_leaves_no_temporary(tmp_path, netlist, trained):
    """A second save replaces the first; only the checkpoint itself is left in the folder."""
    path = tmp_path / "last.npz"
    save_checkpoint(path, state_of(trained, 1), netlist, "xor.cir")
    save_checkpoint(str(path), state_of(trained, 2), netlist, "xor.cir")  # str paths work too
    assert load_checkpoint(path).epoch == 2
    assert sorted(os.listdir(tmp_path)) == ["last.npz"]


def _partial_write_then_fail(file, *args, **kwargs):
    file.write(b"PK\x03\x04 half a zip file")
    raise OSError("disk full")


@pytest.mark.parametrize("existing", [True, False])
def test_failed_write_keeps_the_old_checkpoint_and_no_partial_file(tmp_path, monkeypatch, netlist, trained, existing):
    """When writing fails midway the error propagates, the previous checkpoint is intact (or
    there is none) and no partial or temporary file is left."""
    path = tmp_path / "last.npz"
    if existing:
        save_checkpoint(path, state_of(trained, 1), netlist, "xor.cir")
        before = path.read_bytes()
    monkeypatch.setattr(np, "savez", _partial_write_then_fail)
    with pytest.raises(OSError, match="disk full"):
        save_checkpoint(path, state_of(trained, 2), netlist, "xor.cir")
    monkeypatch.undo()
    if existing:
        assert sorted(os.listdir(tmp_path)) == ["last.npz"]
        assert path.read_bytes() == before
        assert load_checkpoint(path).epoch == 1
    else:
        assert os.listdir(tmp_path) == []


def test_failed_replace_removes_the_temporary(tmp_path, monkeypatch, netlist, trained):
    """A failure of the final rename leaves the old checkpoint and removes the complete temporary."""
    path = tmp_path / "last.npz"
    save_checkpoint(path, state_of(trained, 1), netlist, "xor.cir")

    def refuse(src, dst):
        raise PermissionError("replace refused")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(PermissionError, match="replace refused"):
        save_checkpoint(path, state_of(trained, 2), netlist, "xor.cir")
    monkeypatch.undo()
    assert sorted(os.listdir(tmp_path)) == ["last.npz"]
    assert load_checkpoint(path).epoch == 1


def test_interrupt_during_write_cleans_up(tmp_path, monkeypatch, netlist, trained):
    """A KeyboardInterrupt (not an Exception) while syncing still removes the temporary and propagates."""
    def interrupt(fd):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "fsync", interrupt)
    with pytest.raises(KeyboardInterrupt):
        save_checkpoint(tmp_path / "last.npz", state_of(trained, 1), netlist, "xor.cir")
    monkeypatch.undo()
    assert os.listdir(tmp_path) == []


def test_missing_file_is_a_data_error(tmp_path):
    """A path that does not exist raises DataError naming it."""
    with pytest.raises(DataError, match=r"nothere\.npz: cannot read checkpoint"):
        load_checkpoint(tmp_path / "nothere.npz")


@pytest.mark.parametrize("content", [b"", b"this is not a checkpoint", b"\x00" * 64])
def test_garbage_file_is_a_data_error(tmp_path, content):
    """A file that is no .npz raises DataError ('cannot read checkpoint')."""
    path = tmp_path / "bad.npz"
    path.write_bytes(content)
    with pytest.raises(DataError, match="cannot read checkpoint"):
        load_checkpoint(path)


def test_npz_without_the_checkpoint_keys_is_a_data_error(tmp_path):
    """An .npz lacking required arrays raises DataError listing the missing ones, sorted."""
    path = tmp_path / "other.npz"
    np.savez(path, netlist=np.array("t\n.end\n"), conductances=np.ones(2), resistors=np.array(["r1", "r2"]),
             sources=np.array([], dtype=str))
    with pytest.raises(DataError, match=r"not a circuitnet checkpoint \(missing biases, epoch\)"):
        load_checkpoint(path)


def load_releasing(path):
    """load_checkpoint, but an unexpected exception is re-raised without its traceback, whose
    frames may hold a file numpy left open (released here, so that its ResourceWarning does not
    surface in a later test)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        try:
            return load_checkpoint(path)
        except DataError:
            raise
        except Exception as error:
            kind, message = type(error), str(error)
        gc.collect()
    raise kind(message)


def test_truncated_checkpoint_is_a_data_error(tmp_path, netlist, trained):
    """A checkpoint cut in half (a copy interrupted, a full disk) raises DataError."""
    path = tmp_path / "last.npz"
    save_checkpoint(path, state_of(trained, 1), netlist, "xor.cir")
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 2])
    with pytest.raises(DataError, match="cannot read checkpoint"):
        load_releasing(path)


def test_corrupted_checkpoint_is_a_data_error(tmp_path, netlist, trained):
    """A checkpoint whose stored bytes were altered raises DataError."""
    path = tmp_path / "last.npz"
    save_checkpoint(path, state_of(trained, 1), netlist, "xor.cir")
    data = bytearray(path.read_bytes())
    data[200:220] = bytes(20)  # inside the first member's data
    path.write_bytes(bytes(data))
    with pytest.raises(DataError, match="cannot read checkpoint"):
        load_releasing(path)


def test_npy_file_is_a_data_error(tmp_path):
    """A single-array .npy file is not a checkpoint: DataError."""
    path = tmp_path / "array.npy"
    np.save(path, np.ones(3))
    with pytest.raises(DataError):
        load_releasing(path)


def test_resume_from_checkpoint_continues_exactly(tmp_path, netlist, trained):
    """SGD with momentum and decay, stopped after epoch 2, saved, loaded into fresh objects and
    continued, ends bit for bit where an uninterrupted run ends."""
    rng = np.random.default_rng(9)
    n_r, n_i = trained.conductances.size, trained.biases.size
    grads = [(rng.normal(scale=1e-3, size=n_r), rng.normal(scale=1e-3, size=n_i)) for _ in range(5)]
    bounds = Bounds(1e-6, 1e-2)

    def optimizer():
        return SGD(np.full(n_r, 0.5), np.full(n_i, 0.1), bounds, lr_decay=0.9, momentum=0.8)

    whole, params = optimizer(), trained.copy()
    for epoch, (gg, gb) in enumerate(grads):
        whole.step(params, gg, gb, epoch)

    first, part = optimizer(), trained.copy()
    for epoch, (gg, gb) in enumerate(grads[:2]):
        first.step(part, gg, gb, epoch)
    state = {"conductances": part.conductances, "biases": part.biases,
             "resistors": np.array(part.resistors), "sources": np.array(part.sources),
             "epoch": np.array(2), "history": np.zeros((2, 5)), **first.state()}
    save_checkpoint(tmp_path / "last.npz", state, netlist, "xor.cir")
    del first, part

    checkpoint = load_checkpoint(tmp_path / "last.npz")
    resumed, restored = optimizer(), checkpoint.parameters()
    resumed.load_state(checkpoint.state)
    for epoch in range(checkpoint.epoch, len(grads)):
        resumed.step(restored, *grads[epoch], epoch)
    np.testing.assert_array_equal(restored.conductances, params.conductances)
    np.testing.assert_array_equal(restored.biases, params.biases)
    np.testing.assert_array_equal(resumed.velocity_g, whole.velocity_g)


def test_trainer_resumes_from_a_checkpoint_file(tmp_path):
    """A Trainer stopped after one epoch, checkpointed to disk, rebuilt from the checkpoint's own
    netlist and resumed, trains to the same conductances and history as an uninterrupted one."""
    from circuitnet.learning.trainer import Trainer
    from circuitnet.model.networks import build_drn
    from circuitnet.netlist import write_netlist

    rng = np.random.default_rng(0)
    x = rng.uniform(size=(40, 4))
    y = (x[:, 0] + x[:, 1] > x[:, 2] + x[:, 3]).astype(int)
    circuit = build_drn(4, [6], 2, gain=4.0, seed=1)
    settings = {"beta": 0.01, "lr": 0.05, "batch_size": 8, "momentum": 0.9, "seed": 2}
    whole = Trainer(circuit, epochs=3, **settings).fit(x, y)
    first = Trainer(circuit, epochs=1, **settings).fit(x, y)
    save_checkpoint(tmp_path / "last.npz", first.state(), write_netlist(circuit), "drn.cir")

    checkpoint = load_checkpoint(tmp_path / "last.npz")
    assert checkpoint.epoch == 1
    resumed = Trainer(checkpoint.circuit(), epochs=3, **settings)
    resumed.load_state(checkpoint.state)
    resumed.fit(x, y)
    np.testing.assert_array_equal(resumed.conductances_, whole.conductances_)
    np.testing.assert_array_equal(resumed.biases_, whole.biases_)
    assert [r.train_loss for r in resumed.history_] == [r.train_loss for r in whole.history_]


@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_checkpoint_permissions_follow_the_umask(tmp_path, netlist, trained, umask, mode):
    """Like any new file (open, write_text): 0666 less the umask, not mkstemp's 0600."""
    old = os.umask(umask)
    try:
        save_checkpoint(tmp_path / "last.npz", state_of(trained, 1), netlist, "xor.cir")
    finally:
        os.umask(old)
    assert (tmp_path / "last.npz").stat().st_mode & 0o777 == mode


def test_orphaned_temporaries_are_removed(tmp_path, netlist, trained):
    from circuitnet.learning.checkpoint import remove_temporaries

    path = tmp_path / "last.npz"
    save_checkpoint(path, state_of(trained, 1), netlist, "xor.cir")
    (tmp_path / ".last.npz.0123456789ab.tmp").write_bytes(b"PK half a zip")
    (tmp_path / ".best.npz.0123456789ab.tmp").write_bytes(b"PK another file's")
    remove_temporaries(path)
    assert sorted(os.listdir(tmp_path)) == [".best.npz.0123456789ab.tmp", "last.npz"]


def test_a_zip_header_damaged_into_unsupported_features_is_a_data_error(tmp_path, netlist, trained):
    """A flipped flag bit that claims encryption, or a compression method zipfile lacks,
    makes zipfile raise RuntimeError / NotImplementedError: DataError too."""
    path = tmp_path / "last.npz"
    save_checkpoint(path, state_of(trained, 1), netlist, "xor.cir")
    good = path.read_bytes()
    central = good.index(b"PK\x01\x02")  # the first central directory entry
    for offset, value in ((8, b"\x01\x00"), (10, b"\x63\x00")):  # flags: encrypted; method 99
        data = bytearray(good)
        data[central + offset:central + offset + 2] = value
        path.write_bytes(bytes(data))
        with pytest.raises(DataError, match="cannot read checkpoint"):
            load_releasing(path)


def test_a_checkpoint_without_the_optimizer_state_cannot_resume(tmp_path, netlist, trained):
    from circuitnet.learning.trainer import Trainer

    state = state_of(trained, 1)
    del state["velocity_b"], state["history"]
    with pytest.raises(DataError, match="the checkpoint lacks history, velocity_b"):
        Trainer(parse_netlist(netlist, "xor.cir")).load_state(state)
