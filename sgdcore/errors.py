"""The one family of errors sgdcore raises for bad input, and the type checks that come before them.

Every message names the problem, the value received and what to do instead, so the dashboard can
show it to the user as it is.
"""

import numpy as np


class SGDCoreError(ValueError):
    """Base class: bad data or a bad setting. Catch this to catch everything sgdcore rejects."""


class DataError(SGDCoreError):
    """The data cannot be used as it is (empty file, missing values, non-numeric columns, ...)."""


class ConfigError(SGDCoreError):
    """A training setting is out of range (learning rate, batch size, epochs, ...)."""


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
