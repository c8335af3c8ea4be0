"""Datasets for training: scikit-learn's digits, MNIST from IDX files, and CSV files.

`load_dataset(spec)` reads a `--data SPEC`:

- `digits`: scikit-learn's bundled 8x8 digits, pixels scaled from 0..16 to [0, 1],
  split 80/20 (stratified, fixed seed);
- `mnist:DIR`: the four MNIST IDX files in DIR, gzipped (`.gz`) or raw, pixels scaled
  from 0..255 to [0, 1]; `download_mnist(DIR)` fetches them where there is internet;
- `csv:PATH`: UTF-8 (a byte-order mark allowed), one example per row, `feature, ...,
  feature, label`, an optional header line; features already in [0, 1] are kept,
  otherwise each column is min-max scaled to [0, 1]; split 80/20 like digits.
"""
from __future__ import annotations

import gzip
import hashlib
import os
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import DataError

#: IDX type code 0x08 = unsigned byte, the only type MNIST uses.
_IDX_UBYTE = 0x08

#: The four MNIST files: name -> (number of dimensions, SHA-256 of the uncompressed file).
MNIST_FILES = {
    "train-images-idx3-ubyte": (3, "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db"),
    "train-labels-idx1-ubyte": (1, "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5"),
    "t10k-images-idx3-ubyte": (3, "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7"),
    "t10k-labels-idx1-ubyte": (1, "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2"),
}

#: Mirrors that serve the gzipped MNIST files, tried in order.
MNIST_MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "http://yann.lecun.com/exdb/mnist/",
)

TEST_FRACTION = 0.2


@dataclass
class Dataset:
    """A classification dataset split into training and test sets.

    x_train, x_test: features in [0, 1], shape (n, n_features), float64.
    y_train, y_test: integer labels in [0, n_classes), shape (n,).
    """

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    n_classes: int

    @property
    def n_features(self) -> int:
        """Number of features per example."""
        return self.x_train.shape[1]


def load_dataset(spec: str, seed: int = 0) -> Dataset:
    """Load the dataset named by `spec` (`digits`, `mnist:DIR` or `csv:PATH`).

    seed: seed of the 80/20 split for `digits` and `csv:` (MNIST has its own split).
    Raises DataError naming the file and what is wrong with it.
    """
    kind, _, arg = spec.partition(":")
    kind = kind.strip().lower()
    if kind == "digits" and not arg:
        return _load_digits(seed)
    if kind == "mnist" and arg:
        return load_mnist(arg)
    if kind == "csv" and arg:
        return load_csv(arg, seed)
    raise DataError(f"unknown dataset spec {spec!r}: expected 'digits', 'mnist:DIR' or 'csv:PATH'")


def _load_digits(seed: int) -> Dataset:
    from sklearn.datasets import load_digits

    digits = load_digits()
    return _split("digits", digits.data / 16.0, digits.target.astype(np.int64), seed)


def _split(name: str, x: np.ndarray, y: np.ndarray, seed: int) -> Dataset:
    """80/20 split, stratified by label when every class has at least two examples."""
    from sklearn.model_selection import train_test_split

    counts = np.bincount(y)
    stratify = y if counts[counts > 0].min() >= 2 else None
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=TEST_FRACTION, random_state=seed, stratify=stratify)
    return Dataset(name, x_train, y_train, x_test, y_test, int(y.max()) + 1)


# ----------------------------------------------------------------------------- MNIST

def load_mnist(directory: str | os.PathLike) -> Dataset:
    """MNIST from the four IDX files in `directory` (each `NAME` or `NAME.gz`)."""
    directory = Path(directory)
    if not directory.is_dir():
        raise DataError(f"{directory}: no such directory (expected the four MNIST IDX files; "
                        "circuitnet.datasets.download_mnist(DIR) fetches them)")
    arrays = {name: read_idx(_find_idx(directory, name), ndim)
              for name, (ndim, _) in MNIST_FILES.items()}
    splits = []
    for prefix in ("train", "t10k"):
        images = arrays[f"{prefix}-images-idx3-ubyte"]
        labels = arrays[f"{prefix}-labels-idx1-ubyte"]
        where = directory / f"{prefix}-labels-idx1-ubyte"
        if images.shape[0] != labels.shape[0]:
            raise DataError(f"{where}: {labels.shape[0]} labels for {images.shape[0]} images")
        if labels.size and labels.max() > 9:
            raise DataError(f"{where}: label {labels.max()} out of range 0..9")
        splits.append((images.reshape(len(images), -1) / 255.0, labels.astype(np.int64)))
    (x_train, y_train), (x_test, y_test) = splits
    if x_train.shape[1] != x_test.shape[1]:
        raise DataError(f"{directory}: training images have {x_train.shape[1]} pixels, "
                        f"test images {x_test.shape[1]}")
    return Dataset("mnist", x_train, y_train, x_test, y_test, 10)


def _find_idx(directory: Path, name: str) -> Path:
    for candidate in (directory / name, directory / f"{name}.gz"):
        if candidate.is_file():
            return candidate
    raise DataError(f"{directory}: missing MNIST file {name} (or {name}.gz)")


def read_idx(path: str | os.PathLike, ndim: int | None = None) -> np.ndarray:
    """Read an unsigned-byte IDX file (gzipped when its name ends in .gz).

    ndim: the number of dimensions expected, checked when given.
    Returns a uint8 array of the shape the header declares.
    """
    path = Path(path)
    try:
        data = _read_bytes(path)
    except (OSError, EOFError, gzip.BadGzipFile) as error:
        raise DataError(f"{path}: cannot read: {error}") from None
    if len(data) < 4 or data[0] != 0 or data[1] != 0:
        raise DataError(f"{path}: not an IDX file (bad magic number {data[:4].hex() or 'empty'})")
    if data[2] != _IDX_UBYTE:
        raise DataError(f"{path}: IDX data type 0x{data[2]:02x} is not unsigned byte (0x08)")
    dims = data[3]
    if ndim is not None and dims != ndim:
        raise DataError(f"{path}: IDX file has {dims} dimensions, expected {ndim}")
    header = 4 + 4 * dims
    if len(data) < header:
        raise DataError(f"{path}: truncated IDX header")
    shape = tuple(int.from_bytes(data[4 + 4 * k: 8 + 4 * k], "big") for k in range(dims))
    expected = int(np.prod(shape, dtype=np.int64))
    if len(data) - header != expected:
        raise DataError(f"{path}: header declares shape {shape} ({expected} bytes of data) "
                        f"but the file holds {len(data) - header}")
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(shape)


def _read_bytes(path: Path) -> bytes:
    if path.suffix == ".gz":
        with gzip.open(path, "rb") as f:
            return f.read()
    return path.read_bytes()


def download_mnist(directory: str | os.PathLike, *, timeout: float = 30.0) -> Path:
    """Download the four MNIST files (gzipped) into `directory`, verifying their SHA-256.

    Files already present with the right checksum are kept. Tries the mirrors in
    `MNIST_MIRRORS` in order; raises DataError, with every mirror's error, when none works
    (for example without internet). Returns the directory.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    for name, (_, sha256) in MNIST_FILES.items():
        target = directory / f"{name}.gz"
        if target.is_file() and _sha256_of_gzip(target) == sha256:
            continue
        _download_one(name, target, sha256, timeout)
    return directory


def _download_one(name: str, target: Path, sha256: str, timeout: float) -> None:
    errors = []
    for mirror in MNIST_MIRRORS:
        url = f"{mirror}{name}.gz"
        try:
            with urllib.request.urlopen(url, timeout=timeout) as response:
                payload = response.read()
            digest = hashlib.sha256(gzip.decompress(payload)).hexdigest()
        except (urllib.error.URLError, OSError, EOFError, ValueError) as error:
            errors.append(f"{url}: {error}")
            continue
        if digest != sha256:
            errors.append(f"{url}: SHA-256 {digest} does not match {sha256}")
            continue
        partial = target.with_name(target.name + ".part")
        partial.write_bytes(payload)
        os.replace(partial, target)
        return
    raise DataError(f"could not download {name}.gz into {target.parent} (no internet?):\n  "
                    + "\n  ".join(errors))


def _sha256_of_gzip(path: Path) -> str | None:
    try:
        with gzip.open(path, "rb") as f:
            return hashlib.sha256(f.read()).hexdigest()
    except (OSError, EOFError):
        return None


# ----------------------------------------------------------------------------- CSV

def load_csv(path: str | os.PathLike, seed: int = 0) -> Dataset:
    """A CSV file of `feature, ..., feature, label` rows, split 80/20."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()  # -sig: drop a byte-order mark
    except (OSError, UnicodeDecodeError) as error:
        raise DataError(f"{path}: cannot read: {error}") from None
    rows = [(n, line) for n, line in enumerate(lines, 1) if line.strip() and not line.startswith("#")]
    if rows and not _is_numeric(rows[0][1]):
        rows = rows[1:]  # header line
    if len(rows) < 2:
        raise DataError(f"{path}: needs at least two rows of 'feature, ..., label'")
    table = np.array([_parse_row(path, n, line, len(rows[0][1].split(","))) for n, line in rows])
    x, labels = table[:, :-1], table[:, -1]
    if x.shape[1] == 0:
        raise DataError(f"{path}: rows need at least one feature before the label")
    if not np.all(np.isfinite(table)):
        line = rows[int(np.argwhere(~np.isfinite(table))[0, 0])][0]
        raise DataError(f"{path}:{line}: NaN or infinite value")
    if np.any(labels != np.round(labels)) or labels.min() < 0:
        line = rows[int(np.argmax((labels != np.round(labels)) | (labels < 0)))][0]
        raise DataError(f"{path}:{line}: the label (last column) must be a non-negative integer")
    return _split(path.stem, _unit_scale(x), labels.astype(np.int64), seed)


def _is_numeric(line: str) -> bool:
    try:
        [float(field) for field in line.split(",")]
    except ValueError:
        return False
    return True


def _parse_row(path: Path, number: int, line: str, width: int) -> list[float]:
    fields = line.split(",")
    if len(fields) != width:
        raise DataError(f"{path}:{number}: {len(fields)} columns, expected {width} like the first row")
    try:
        return [float(field) for field in fields]
    except ValueError:
        raise DataError(f"{path}:{number}: not a number in {line.strip()!r}") from None


def _unit_scale(x: np.ndarray) -> np.ndarray:
    """Keep features already in [0, 1]; otherwise min-max scale each column to [0, 1]."""
    if x.min() >= 0.0 and x.max() <= 1.0:
        return x
    low, high = x.min(axis=0), x.max(axis=0)
    span = np.where(high > low, high - low, 1.0)
    return (x - low) / span
