"""Learning-rate schedules: plain functions of the step, so they can be plotted without training.

A :class:`Schedule` returns the factor that multiplies the base learning rate at each step (as
PyTorch's ``LambdaLR`` does), so one schedule reads the same for any base rate:
``learning_rate_at(step) = learning_rate · schedule(step)``. Steps count from 0.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from sgdcore.errors import is_int, is_number, setting_error

SCHEDULES = ("constant", "step", "exponential", "inverse_scaling", "cosine")
# The fields each kind reads (the warm-up applies on top of any kind): the others do nothing to its rates.
READS = {"constant": (), "step": ("gamma", "step_size"), "exponential": ("gamma", "step_size"),
         "inverse_scaling": ("power_t",), "cosine": ("min_factor", "period_steps")}


@dataclass(frozen=True)
class Schedule:
    """The shape of the learning rate over the steps of a run.

    Parameters
    ----------
    kind
        ``"constant"``; ``"step"``: multiply by ``gamma`` every ``step_size`` steps;
        ``"exponential"``: ``gamma ** (t / step_size)``, a smooth version of ``"step"``;
        ``"inverse_scaling"``: ``1 / (t + 1) ** power_t`` (scikit-learn's ``invscaling``, whose
        ``t`` starts at 1); ``"cosine"``: from 1 down to ``min_factor`` over ``period_steps``
        along half a cosine.
    warmup_steps
        A linear warm-up from ``1/warmup_steps`` to 1 over the first steps, on top of any kind.
    period_steps
        Length of the cosine; ``None`` means the whole run (filled in by :func:`sgdcore.train`).
    """

    kind: str = "constant"
    gamma: float = 0.5
    step_size: int = 100
    power_t: float = 0.25
    min_factor: float = 0.0
    period_steps: int | None = None
    warmup_steps: int = 0

    def __post_init__(self) -> None:
        if self.kind not in SCHEDULES:
            raise setting_error("schedule", self.kind, f"one of {', '.join(SCHEDULES)}", "one_of", allowed=SCHEDULES)
        if not (is_number(self.gamma) and 0.0 < self.gamma <= 1.0):
            raise setting_error("gamma", self.gamma, "in (0, 1]", "in_interval", interval="(0, 1]")
        if not is_int(self.step_size) or self.step_size < 1:
            raise setting_error("step_size", self.step_size, "an integer ≥ 1 step", "integer_at_least", bound=1)
        if not (is_number(self.power_t) and 0.0 <= self.power_t <= 1.0):
            raise setting_error("power_t", self.power_t, "in [0, 1]", "in_interval", interval="[0, 1]")
        if not (is_number(self.min_factor) and 0.0 <= self.min_factor <= 1.0):
            raise setting_error("min_factor", self.min_factor, "in [0, 1]", "in_interval", interval="[0, 1]")
        if self.period_steps is not None and (not is_int(self.period_steps) or self.period_steps < 1):
            raise setting_error("period_steps", self.period_steps, "an integer ≥ 1 or None", "integer_at_least",
                                bound=1)
        if not is_int(self.warmup_steps) or self.warmup_steps < 0:
            raise setting_error("warmup_steps", self.warmup_steps, "an integer ≥ 0", "integer_at_least", bound=0)

    def effect(self) -> tuple:
        """The schedule as a function of the step: its kind, the fields that kind reads, the warm-up. Two schedules
        with the same effect give the same rate at every step, whatever the fields their kind does not read hold
        (a constant schedule's ``step_size``), so only a change of effect is a change of schedule."""
        return (self.kind, *(getattr(self, name) for name in READS[self.kind]), self.warmup_steps)

    @property
    def set_by_length(self) -> bool:
        """Whether the run's length sets the rates: a cosine over the whole run (no ``period_steps``), so that a longer
        run is another run, not this one trained on."""
        return self.kind == "cosine" and self.period_steps is None

    def over(self, steps: int) -> Schedule:
        """The schedule as a run of ``steps`` steps follows it: a cosine over the whole run gets that length as its
        period; any other schedule is itself."""
        return replace(self, period_steps=steps) if self.set_by_length else self

    @property
    def constant_rate(self) -> bool:
        """Whether the rate is the same at every step: a constant schedule without a warm-up."""
        return self.kind == "constant" and self.warmup_steps == 0

    def __call__(self, step: np.ndarray | int) -> np.ndarray | float:
        # Scalars go through the same array ufuncs as arrays: NumPy's scalar power differs in the last bit.
        t = np.atleast_1d(np.asarray(step, dtype=np.float64))
        if self.kind == "constant":
            factor = np.ones_like(t)
        elif self.kind == "step":
            factor = self.gamma ** np.floor(t / self.step_size)
        elif self.kind == "exponential":
            factor = self.gamma ** (t / self.step_size)
        elif self.kind == "inverse_scaling":
            factor = 1.0 / (t + 1.0) ** self.power_t
        else:
            period = self.period_steps if self.period_steps is not None else 1
            progress = np.minimum(t, period) / period
            factor = self.min_factor + (1.0 - self.min_factor) * 0.5 * (1.0 + np.cos(np.pi * progress))
        if self.warmup_steps:
            factor = factor * np.minimum(1.0, (t + 1.0) / self.warmup_steps)
        return float(factor[0]) if np.ndim(step) == 0 else factor
