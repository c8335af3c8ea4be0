"""Tests of circuitnet.datasets: digits, IDX files (gzipped and raw), CSV, bad files."""
from __future__ import annotations

import gzip
import pathlib

import numpy as np
import pytest

from circuitnet.datasets import MNIST_FILES, download_mnist, load_dataset, read_idx
from circuitnet.errors import DataError

SHARED_MNIST = pathlib.Path(__file__).parents[2] / "shared/data/mnist"


def idx_bytes(array: np.ndarray) -> bytes:
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    return header + array.astype(np.uint8).tobytes()


def write_mnist(directory: pathlib.Path, gz: bool, n_train: int = 6, n_test: int = 4,
                labels: np.ndarray | None = None) -> None:
    rng = np.random.default_rng(0)
    arrays = {
        "train-images-idx3-ubyte": rng.integers(0, 256, (n_train, 3, 2)),
        "train-labels-idx1-ubyte": labels if labels is not None else rng.integers(0, 10, n_train),
        "t10k-images-idx3-ubyte": rng.integers(0, 256, (n_test, 3, 2)),
        "t10k-labels-idx1-ubyte": rng.integers(0, 10, n_test),
    }
    for name, array in arrays.items():
        data = idx_bytes(np.asarray(array))
        if gz:
            (directory / f"{name}.gz").write_bytes(gzip.compress(data))
        else:
            (directory / name).write_bytes(data)


def test_digits_split_and_scale():
    data = load_dataset("digits")
    assert data.x_train.shape == (1437, 64) and data.x_test.shape == (360, 64)
    assert data.n_classes == 10
    assert 0.0 <= data.x_train.min() and data.x_train.max() <= 1.0
    again = load_dataset("digits")
    np.testing.assert_array_equal(data.y_test, again.y_test)


@pytest.mark.parametrize("gz", [True, False])
def test_mnist_idx(tmp_path, gz):
    write_mnist(tmp_path, gz)
    data = load_dataset(f"mnist:{tmp_path}")
    assert data.x_train.shape == (6, 6) and data.x_test.shape == (4, 6)
    assert 0.0 <= data.x_train.min() and data.x_train.max() <= 1.0
    assert data.y_train.dtype == np.int64 and data.n_classes == 10


def test_mnist_missing_file(tmp_path):
    write_mnist(tmp_path, gz=True)
    (tmp_path / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(DataError, match="missing MNIST file t10k-labels-idx1-ubyte"):
        load_dataset(f"mnist:{tmp_path}")


def test_mnist_label_out_of_range(tmp_path):
    write_mnist(tmp_path, gz=False, labels=np.array([0, 1, 2, 3, 4, 12]))
    with pytest.raises(DataError, match="label 12 out of range"):
        load_dataset(f"mnist:{tmp_path}")


def test_mnist_count_mismatch(tmp_path):
    write_mnist(tmp_path, gz=False, labels=np.array([0, 1, 2]))
    with pytest.raises(DataError, match="3 labels for 6 images"):
        load_dataset(f"mnist:{tmp_path}")


@pytest.mark.parametrize("content, message", [
    (b"\x00\x00\x0d\x01\x00\x00\x00\x01\x00", "not unsigned byte"),
    (b"PK\x03\x04 not idx", "bad magic number"),
    (b"\x00\x00\x08\x01\x00\x00\x00\x05\x01\x02", "declares shape \\(5,\\)"),
    (b"", "bad magic number"),
])
def test_bad_idx(tmp_path, content, message):
    path = tmp_path / "bad-idx1-ubyte"
    path.write_bytes(content)
    with pytest.raises(DataError, match=message) as info:
        read_idx(path)
    assert str(path) in str(info.value)


def test_idx_wrong_dimensions(tmp_path):
    path = tmp_path / "x.gz"
    path.write_bytes(gzip.compress(idx_bytes(np.zeros((2, 2)))))
    with pytest.raises(DataError, match="2 dimensions, expected 3"):
        read_idx(path, ndim=3)


def test_corrupt_gzip(tmp_path):
    path = tmp_path / "x.gz"
    path.write_bytes(b"not gzip at all")
    with pytest.raises(DataError, match="cannot read"):
        read_idx(path)


def test_csv(tmp_path):
    rows = ["a,b,label"] + [f"{i % 3},{i * 2},{i % 2}" for i in range(20)]
    path = tmp_path / "toy.csv"
    path.write_text("\n".join(rows) + "\n")
    data = load_dataset(f"csv:{path}", seed=1)
    assert data.x_train.shape == (16, 2) and data.x_test.shape == (4, 2)
    assert data.n_classes == 2 and data.name == "toy"
    assert 0.0 <= data.x_train.min() and data.x_train.max() <= 1.0


@pytest.mark.parametrize("header", [[], ["x0,x1,label"]])
def test_csv_with_a_byte_order_mark_keeps_its_first_row(tmp_path, header):
    """A spreadsheet's 'CSV UTF-8' starts with U+FEFF: its first data row is not taken for a
    header (nor is a real header taken for data)."""
    rows = header + [f"{i / 20:.2f},{1 - i / 20:.2f},{i % 2}" for i in range(20)]
    path = tmp_path / "excel.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8-sig")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    data = load_dataset(f"csv:{path}")
    x = np.concatenate([data.x_train, data.x_test])
    assert len(x) == 20 and any(np.allclose(row, [0.0, 1.0]) for row in x)  # row 0 kept


@pytest.mark.parametrize("rows, message", [
    (["0.1,0.2,1", "0.3,0.4"], ":2: 2 columns, expected 3"),
    (["0.1,0.2,1", "0.3,x,0"], ":2: not a number"),
    (["0.1,0.2,1", "0.3,0.2,0.5"], ":2: the label"),
    (["0.1,nan,1", "0.3,0.2,0"], ":1: NaN"),
    (["0.1,0.2,1"], "at least two rows"),
])
def test_bad_csv(tmp_path, rows, message):
    path = tmp_path / "bad.csv"
    path.write_text("\n".join(rows))
    with pytest.raises(DataError, match=message):
        load_dataset(f"csv:{path}")


@pytest.mark.parametrize("spec", ["imagenet", "mnist:", "csv:", "digits:foo"])
def test_bad_spec(spec):
    with pytest.raises(DataError, match="unknown dataset spec"):
        load_dataset(spec)


def test_missing_directory(tmp_path):
    with pytest.raises(DataError, match="no such directory"):
        load_dataset(f"mnist:{tmp_path / 'nope'}")


def test_download_offline(tmp_path, monkeypatch):
    import urllib.error
    import urllib.request

    def offline(*args, **kwargs):
        raise urllib.error.URLError("network is unreachable")

    monkeypatch.setattr(urllib.request, "urlopen", offline)
    with pytest.raises(DataError, match="could not download train-images-idx3-ubyte.gz.*no internet"):
        download_mnist(tmp_path)


@pytest.mark.slow
@pytest.mark.skipif(not SHARED_MNIST.is_dir(), reason="shared MNIST copy not present")
def test_real_mnist():
    data = load_dataset(f"mnist:{SHARED_MNIST}")
    assert data.x_train.shape == (60000, 784) and data.x_test.shape == (10000, 784)
    assert set(np.unique(data.y_test)) == set(range(10))
    from circuitnet.datasets import _sha256_of_gzip

    for name, (_, sha256) in MNIST_FILES.items():
        assert _sha256_of_gzip(SHARED_MNIST / f"{name}.gz") == sha256
