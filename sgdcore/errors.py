"""The one family of errors sgdcore raises for bad input, and the type checks that come before them.

Every message names the problem, the value received and what to do instead, in sgdcore's own terms (its
parameter names). Every error also carries the problem as data (a ``problem`` name and its fields), so that a
user interface can say it in its own words and language without reading the English.
"""

from typing import NamedTuple

import numpy as np


class SGDCoreError(ValueError):
    """Base class: bad data or a bad setting. Catch this to catch everything sgdcore rejects.

    Parameters
    ----------
    message : str
        What is wrong and what to do, in sgdcore's terms.
    problem : str, optional
        A short name for the problem, e.g. ``"missing_values"`` or ``"in_interval"`` (``""`` if it has none).
    **fields
        The facts the message is made of (a parameter, the value received, the range allowed, a column, a
        count, ...), by name.

    Attributes
    ----------
    problem : str
    fields : dict
    """

    def __init__(self, message: str, problem: str = "", **fields: object) -> None:
        super().__init__(message)
        self.problem = problem
        self.fields = fields

    def __reduce__(self) -> tuple:
        # Keyword fields are not in ``args``: without this a copy or a pickle (an error sent back from a worker
        # process) would lose them.
        return _rebuild_error, (type(self), str(self), self.problem, self.fields)


def _rebuild_error(kind: type[SGDCoreError], message: str, problem: str, fields: dict) -> SGDCoreError:
    return kind(message, problem, **fields)


class DataError(SGDCoreError):
    """The data cannot be used as it is (empty file, missing values, non-numeric columns, ...)."""


class ConfigError(SGDCoreError):
    """A training setting is out of range (learning rate, batch size, epochs, ...)."""


def setting_error(parameter: str, value: object, rule: str, problem: str, advice: str = "",
                  **fields: object) -> ConfigError:
    """The most common error: ``"{parameter} must be {rule}; got {value!r}. {advice}"``.

    ``problem`` and ``fields`` say what ``rule`` says as data (``"in_interval", interval="[0, 1)"``), for a user
    interface to word; ``parameter`` and ``value`` are among the fields.
    """
    message = f"{parameter} must be {rule}; got {value!r}." + (f" {advice}" if advice else "")
    return ConfigError(message, problem, parameter=parameter, value=value, **fields)


def batch_size_error(batch_size: int, n_rows: int) -> ConfigError:
    """A minibatch larger than the training rows it is drawn from."""
    return ConfigError(f"batch_size {batch_size} is larger than the {n_rows} training rows; use at most {n_rows} "
                       "(that is full-batch gradient descent).", "batch_size_range", parameter="batch_size",
                       value=batch_size, rows=n_rows)


def nesterov_error(momentum: float, dampening: float) -> ConfigError:
    """Nesterov momentum asked for without the momentum and dampening it needs, as torch.optim.SGD refuses it."""
    return ConfigError("Nesterov momentum requires momentum > 0 and dampening = 0 (as in torch.optim.SGD); "
                       f"got momentum={momentum!r}, dampening={dampening!r}.", "nesterov_needs_momentum",
                       momentum=momentum, dampening=dampening)


def resume_error(saved_features: int, n_features: int) -> ConfigError:
    """A saved run resumed on data with another number of features."""
    return ConfigError(f"Cannot resume: the saved run has {saved_features} features, the data has {n_features}.",
                       "resume_other_data", saved_features=saved_features, features=n_features)


class Place(NamedTuple):
    """Where a value is in a set of files, for a message: ``data/a.csv, line 12`` (its ``str``).

    A field of an error as data (file, ``"line"`` of a CSV file or ``"row"`` of a Parquet one, number), so that
    a user interface can say it in its own words.
    """

    file: str
    unit: str
    number: int

    def __str__(self) -> str:
        return f"{self.file}, {self.unit} {self.number}"


ECHO_CHARACTERS = 60  # how much of a value a message repeats: a cell or a link can hold 100,000 characters


def echo(value: object, limit: int = ECHO_CHARACTERS) -> str:
    """``repr(value)`` for a message, cut to about ``limit`` characters: ``'abcdef…' (100,000 characters)``."""
    text = repr(value)
    if len(text) <= limit:
        return text
    length = f" ({len(value):,} characters)" if isinstance(value, str) else ""
    return f"{text[:limit - 1]}…{text[0] if isinstance(value, str) else ''}{length}"


def is_number(value: object) -> bool:
    """A real number (NumPy's included), not a bool: checked before any comparison, which a str or None fails."""
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)


def is_int(value: object) -> bool:
    """An integer (NumPy's included), not a bool: a NaN or fractional count of steps would blur every step."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def check_seed(seed: object) -> None:
    """A seed for ``np.random.default_rng``: an integer ≥ 0, which NumPy also insists on, less clearly."""
    if not (is_int(seed) and seed >= 0):
        raise setting_error("seed", seed, "an integer ≥ 0", "integer_at_least", bound=0)
