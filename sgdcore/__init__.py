"""sgdcore: minibatch SGD for linear regression, as the Dive into Deep Learning lesson teaches it.

A library first: NumPy arrays in, frozen dataclasses out, no plotting and no UI.
"""

from sgdcore.analysis import (
    Curvature,
    LossSurface,
    QuadraticLoss,
    contraction_factor,
    curvature,
    gradient_noise,
    learning_rate_advice,
    loss_surface,
    quadratic_loss,
    stability_limit,
)
from sgdcore.backends import warm_up_kernel
from sgdcore.data import Dataset, Standardizer, minibatches, synthetic, train_test_split
from sgdcore.errors import ConfigError, DataError, SGDCoreError
from sgdcore.model import gradient, init_params, predict, squared_loss
from sgdcore.optim import penalty_gradient, sgd_step
from sgdcore.problem import Problem, make_problem
from sgdcore.reference import ClosedForm, Comparison, closed_form, compare
from sgdcore.schedules import SCHEDULES, Schedule
from sgdcore.tabular import Table, column_summary, dataset_from_frame, load_csv, read_table
from sgdcore.train import Progress, TrainConfig, TrainState, full_loss, train, usable_cores

__all__ = [
    "SCHEDULES",
    "ClosedForm",
    "Comparison",
    "ConfigError",
    "Curvature",
    "DataError",
    "Dataset",
    "LossSurface",
    "Problem",
    "Progress",
    "QuadraticLoss",
    "SGDCoreError",
    "Schedule",
    "Standardizer",
    "Table",
    "TrainConfig",
    "TrainState",
    "closed_form",
    "column_summary",
    "compare",
    "contraction_factor",
    "curvature",
    "dataset_from_frame",
    "full_loss",
    "gradient",
    "gradient_noise",
    "init_params",
    "learning_rate_advice",
    "load_csv",
    "loss_surface",
    "make_problem",
    "minibatches",
    "penalty_gradient",
    "predict",
    "quadratic_loss",
    "read_table",
    "sgd_step",
    "squared_loss",
    "stability_limit",
    "synthetic",
    "train",
    "train_test_split",
    "usable_cores",
    "warm_up_kernel",
]
