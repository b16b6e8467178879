"""Every setting the dashboard has: its default, its widget key and its name in a share link.

One table serves the widgets, ``st.query_params`` and the ``TrainConfig``, so a setting cannot be
shown, shared and used in three slightly different ways.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any

from sgdcore import Schedule, TrainConfig


def _parse_bool(text: str) -> bool:
    if text.lower() in ("1", "true", "yes", "on"):
        return True
    if text.lower() in ("0", "false", "no", "off"):
        return False
    raise ValueError(text)


def _parse_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(text)
    return value


@dataclass(frozen=True)
class Setting:
    key: str  # the widget's key in st.session_state
    query: str  # the name in the URL
    default: Any
    parse: Callable[[str], Any]
    choices: tuple[Any, ...] | None = None
    low: float | None = None
    high: float | None = None

    def from_text(self, text: str) -> Any:
        """The value a share link carries, or ``ValueError`` with a message for the user."""
        try:
            value = self.parse(text)
        except ValueError:
            raise ValueError(f"the link's value {text!r} for '{self.query}' is not valid") from None
        if self.choices is not None and value not in self.choices:
            allowed = ", ".join(map(str, self.choices))
            raise ValueError(f"the link's value {text!r} for '{self.query}' is not one of {allowed}")
        if (self.low is not None and value < self.low) or (self.high is not None and value > self.high):
            raise ValueError(f"the link's value {text!r} for '{self.query}' is outside [{self.low:g}, {self.high:g}]")
        return value

    def to_text(self, value: Any) -> str:
        if isinstance(value, bool):
            return "1" if value else "0"
        if isinstance(value, float):
            return f"{value:.10g}"
        return str(value)


DATA_SOURCES = ("synthetic", "diabetes", "csv")
DATA_SOURCE_LABELS = {"synthetic": "Synthetic (D2L)", "diabetes": "Diabetes (scikit-learn sample)",
                      "csv": "Uploaded CSV"}
SCHEDULE_LABELS = {"constant": "Constant", "step": "Step decay", "exponential": "Exponential decay",
                   "inverse_scaling": "Inverse scaling (η₀ / t^power_t)", "cosine": "Cosine"}

SETTINGS: tuple[Setting, ...] = (
    # Data
    Setting("data_source", "data", "synthetic", str, DATA_SOURCES),
    Setting("n_rows", "n", 1000, int, low=10, high=2_000_000),
    Setting("true_weights", "w", "2, -3.4", str),
    Setting("true_bias", "b", 4.2, _parse_float, low=-1e6, high=1e6),
    Setting("noise", "noise", 0.01, _parse_float, low=0, high=1e6),
    Setting("data_seed", "dseed", 0, int, low=0, high=2**31 - 1),
    Setting("standardize", "std", False, _parse_bool),
    Setting("test_fraction", "test", 0.2, _parse_float, low=0, high=0.5),
    # Optimisation
    Setting("learning_rate", "lr", 0.03, _parse_float, low=1e-6, high=1e3),
    Setting("batch_size", "bs", 10, int, low=1, high=2_000_000),
    Setting("epochs", "epochs", 3, int, low=1, high=10_000),
    Setting("momentum", "mom", 0.0, _parse_float, low=0, high=0.99),
    Setting("nesterov", "nesterov", False, _parse_bool),
    Setting("weight_decay", "wd", 0.0, _parse_float, low=0, high=1e3),
    Setting("l1_penalty", "l1", 0.0, _parse_float, low=0, high=1e3),
    Setting("schedule", "sched", "constant", str, tuple(SCHEDULE_LABELS)),
    Setting("decay_gamma", "gamma", 0.5, _parse_float, low=0.01, high=1),
    Setting("decay_epochs", "every", 1, int, low=1, high=10_000),
    Setting("power_t", "power", 0.25, _parse_float, low=0, high=1),
    Setting("warmup_epochs", "warmup", 0, int, low=0, high=10_000),
    Setting("early_stopping", "early", False, _parse_bool),
    Setting("tol", "tol", 1e-4, _parse_float, low=0, high=1e6),
    Setting("n_iter_no_change", "patience", 5, int, low=1, high=1000),
    Setting("seed", "seed", 0, int, low=0, high=2**31 - 1),
    Setting("n_threads", "threads", 1, int, low=1, high=256),
    # Page-specific comparisons
    Setting("lr_multiples", "lrs", "0.1, 0.5, 1, 1.9, 2.1", str),
    Setting("lr_mode", "lrmode", "multiples", str, ("multiples", "absolute")),
    Setting("lr_epochs", "lrepochs", 50, int, low=1, high=10_000),
    Setting("lr_full_batch", "lrfull", True, _parse_bool),
    Setting("batch_sizes", "bss", "1, 10, 100, full", str),
    Setting("bs_epochs", "bsepochs", 5, int, low=1, high=10_000),
    Setting("condition_number", "cond", 100.0, _parse_float, low=1, high=10_000),
    Setting("momentum_lr", "momlr", 1.0, _parse_float, low=0.01, high=4),
    Setting("compare_momentum", "cmom", 0.9, _parse_float, low=0, high=0.99),
    Setting("momentum_epochs", "momepochs", 100, int, low=1, high=10_000),
)
BY_KEY = {setting.key: setting for setting in SETTINGS}


def value(state: Mapping[str, Any], key: str) -> Any:
    """The current value of a setting: the widget's, or the default on a page that has no such widget."""
    return state.get(key, BY_KEY[key].default)


def apply_query_params(state: MutableMapping[str, Any], params: Mapping[str, str]) -> list[str]:
    """Seed the settings from a share link; returns a message for each value that was ignored."""
    problems = []
    for setting in SETTINGS:
        if setting.query in params:
            try:
                state[setting.key] = setting.from_text(params[setting.query])
            except ValueError as error:
                problems.append(f"{error}; using {setting.to_text(value(state, setting.key))} instead.")
    return problems


def query_params(state: Mapping[str, Any]) -> dict[str, str]:
    """The settings that differ from their defaults, as a share link carries them."""
    return {
        setting.query: setting.to_text(value(state, setting.key))
        for setting in SETTINGS
        if value(state, setting.key) != setting.default
    }


def parse_numbers(text: str, what: str) -> list[float]:
    """``"2, -3.4"`` → ``[2.0, -3.4]``, or ``ValueError`` naming the bad entry."""
    numbers = []
    for part in text.replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        try:
            number = float(part)
        except ValueError:
            raise ValueError(f"{what}: {part!r} is not a number. Separate numbers with commas, e.g. 2, -3.4.") from None
        if not math.isfinite(number):
            raise ValueError(f"{what}: {part!r} is not a finite number.")
        numbers.append(number)
    if not numbers:
        raise ValueError(f"{what}: enter at least one number, e.g. 2, -3.4.")
    return numbers


def train_config(state: Mapping[str, Any], steps_per_epoch: int, **overrides: Any) -> TrainConfig:
    """The ``TrainConfig`` the settings describe; schedule lengths are set in epochs, run in steps."""
    schedule = Schedule(
        kind=value(state, "schedule"),
        gamma=value(state, "decay_gamma"),
        step_size=max(1, value(state, "decay_epochs") * steps_per_epoch),
        power_t=value(state, "power_t"),
        warmup_steps=value(state, "warmup_epochs") * steps_per_epoch,
    )
    momentum = value(state, "momentum")
    fields = dict(
        learning_rate=value(state, "learning_rate"), batch_size=value(state, "batch_size"),
        epochs=value(state, "epochs"), momentum=momentum, nesterov=value(state, "nesterov") and momentum > 0,
        weight_decay=value(state, "weight_decay"), l1_penalty=value(state, "l1_penalty"), schedule=schedule,
        seed=value(state, "seed"),
        tol=value(state, "tol") if value(state, "early_stopping") else None,
        n_iter_no_change=value(state, "n_iter_no_change"), n_threads=value(state, "n_threads"),
    )
    fields.update(overrides)
    return TrainConfig(**fields)
