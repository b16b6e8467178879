"""sgdcore: minibatch SGD for linear regression, as the Dive into Deep Learning lesson teaches it.

A library first: NumPy arrays in, frozen dataclasses out, no plotting and no UI.
"""

from typing import TYPE_CHECKING

from sgdcore.analysis import (
    Curvature,
    LossSurface,
    QuadraticLoss,
    contraction_factor,
    curvature,
    gradient_noise,
    loss_surface,
    no_swing_limit,
    polyak_heavy_ball,
    quadratic_loss,
    stability_limit,
    steps_to_stay_within,
    steps_within_through,
)
from sgdcore.backends import warm_up_kernel
from sgdcore.data import Dataset, Notice, Standardizer, minibatches, split_sizes, synthetic, train_test_split
from sgdcore.diagnosis import (
    HORIZON_EPOCHS,
    Diagnosis,
    Limits,
    Oscillation,
    Outlook,
    RateCheck,
    Suggestion,
    carried_across_zero,
    check_learning_rate,
    diagnose,
    limit_settings,
    outlook,
    penalised_optimum,
    round_down,
    run_limits,
    warn_before_training,
)
from sgdcore.errors import ConfigError, DataError, SGDCoreError
from sgdcore.model import gradient, init_params, predict, squared_loss
from sgdcore.next_step import NextStep, next_step
from sgdcore.optim import penalty_gradient, sgd_step
from sgdcore.problem import Problem, make_problem
from sgdcore.reference import ClosedForm, Comparison, closed_form, compare, fit_scores
from sgdcore.schedules import SCHEDULES, Schedule
from sgdcore.stability import (
    ExpectedRun,
    NoiseFloor,
    StabilityLimit,
    expected_run,
    minibatch_stability_limit,
    noise_floor,
)
from sgdcore.train import Progress, TrainConfig, TrainState, full_loss, train, usable_cores

# Reading a CSV (sgdcore.io) needs pandas and pyarrow, about 0.25 s and 70 MB to import: its names load it when
# first used, so that what never reads a file (a notebook on synthetic data, the kernel's compile child, whose
# memory counts against the server's limit while it compiles) does not pay for it. Editors and type checkers read
# the import below.
if TYPE_CHECKING:
    from sgdcore.io import (
        InputColumn,
        RowsRead,
        Table,
        column_summary,
        dataset_from_frame,
        encode_rows,
        encoding_notices,
        input_columns,
        input_rows,
        load_csv,
        read_rows,
        read_table,
    )

_READING_A_CSV = frozenset({"InputColumn", "RowsRead", "Table", "column_summary", "dataset_from_frame",
                            "encode_rows", "encoding_notices", "input_columns", "input_rows", "load_csv", "read_rows",
                            "read_table"})


def __getattr__(name: str) -> object:
    if name in _READING_A_CSV:
        from sgdcore import io

        return getattr(io, name)
    raise AttributeError(f"module 'sgdcore' has no attribute {name!r}")


def __dir__() -> list[str]:  # a notebook completes sgdcore.load_csv before its first use
    return sorted({*globals(), *_READING_A_CSV})

__all__ = [
    "HORIZON_EPOCHS",
    "SCHEDULES",
    "ClosedForm",
    "Comparison",
    "ConfigError",
    "Curvature",
    "DataError",
    "Dataset",
    "Diagnosis",
    "ExpectedRun",
    "InputColumn",
    "Limits",
    "LossSurface",
    "NextStep",
    "NoiseFloor",
    "Notice",
    "Oscillation",
    "Outlook",
    "Problem",
    "Progress",
    "QuadraticLoss",
    "RateCheck",
    "RowsRead",
    "SGDCoreError",
    "Schedule",
    "StabilityLimit",
    "Standardizer",
    "Suggestion",
    "Table",
    "TrainConfig",
    "TrainState",
    "carried_across_zero",
    "check_learning_rate",
    "closed_form",
    "column_summary",
    "compare",
    "contraction_factor",
    "curvature",
    "dataset_from_frame",
    "diagnose",
    "encode_rows",
    "encoding_notices",
    "expected_run",
    "fit_scores",
    "full_loss",
    "gradient",
    "gradient_noise",
    "init_params",
    "input_columns",
    "input_rows",
    "limit_settings",
    "load_csv",
    "loss_surface",
    "make_problem",
    "minibatch_stability_limit",
    "minibatches",
    "next_step",
    "no_swing_limit",
    "noise_floor",
    "outlook",
    "penalised_optimum",
    "penalty_gradient",
    "polyak_heavy_ball",
    "predict",
    "quadratic_loss",
    "read_rows",
    "read_table",
    "round_down",
    "run_limits",
    "sgd_step",
    "split_sizes",
    "squared_loss",
    "stability_limit",
    "steps_to_stay_within",
    "steps_within_through",
    "synthetic",
    "train",
    "train_test_split",
    "usable_cores",
    "warm_up_kernel",
    "warn_before_training",
]
