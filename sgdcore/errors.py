"""The one family of errors sgdcore raises for bad input, and the type checks that come before them.

Every message names the problem, the value received and what to do instead, in sgdcore's own terms (its
parameter names). A :class:`DataError` also carries the problem as data (a ``problem`` name and its fields),
so that a user interface can say it in its own words and language without reading the English.
"""

import numpy as np


class SGDCoreError(ValueError):
    """Base class: bad data or a bad setting. Catch this to catch everything sgdcore rejects."""


class DataError(SGDCoreError):
    """The data cannot be used as it is (empty file, missing values, non-numeric columns, ...).

    Parameters
    ----------
    message : str
        What is wrong and what to do, in sgdcore's terms.
    problem : str, optional
        A short name for the problem, e.g. ``"missing_values"`` (``""`` if it has none).
    **fields
        The facts the message is made of (a column, a count, a line number, ...), by name.

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
        # Keyword fields are not in ``args``: without this a copy or a pickle would lose them.
        return _rebuild_data_error, (type(self), str(self), self.problem, self.fields)


def _rebuild_data_error(kind: type[DataError], message: str, problem: str, fields: dict) -> DataError:
    return kind(message, problem, **fields)


class ConfigError(SGDCoreError):
    """A training setting is out of range (learning rate, batch size, epochs, ...)."""


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
        raise ConfigError(f"seed must be an integer ≥ 0; got {seed!r}.")
