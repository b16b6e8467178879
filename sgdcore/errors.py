"""The one family of errors sgdcore raises for bad input.

Every message names the problem, the value received and what to do instead, so the dashboard can
show it to the user as it is.
"""


class SGDCoreError(ValueError):
    """Base class: bad data or a bad setting. Catch this to catch everything sgdcore rejects."""


class DataError(SGDCoreError):
    """The data cannot be used as it is (empty file, missing values, non-numeric columns, ...)."""


class ConfigError(SGDCoreError):
    """A training setting is out of range (learning rate, batch size, epochs, ...)."""
