"""Verdicts on runs with an L1 penalty, their numbers checked by training with sgdcore over several seeds.

An L1 run whose decaying schedule runs out before it arrives (its rates die out 10% or 33% away on the default data)
is told so before and after training, and offered a constant rate, not an epochs count no run reaches.
"""

from __future__ import annotations

import re
from dataclasses import replace

import numpy as np
import pytest

import sgdcore
from sgdcore.diagnosis import ARRIVED, penalised_optimum
from tests.test_app_pages import no_exceptions
from tests.test_app_truth import app, texts
from tests.test_verdicts import verdict_of

SEEDS = 3


@pytest.fixture(scope="module")
def problem() -> sgdcore.Problem:
    """The dashboard's default data: 1,000 synthetic rows, 800 of them for training."""
    return sgdcore.make_problem(sgdcore.synthetic(n=1000, seed=0), test_fraction=0.2)


def distances(problem: sgdcore.Problem, config: sgdcore.TrainConfig, epochs: int) -> np.ndarray:
    """Each seed's distance from the penalised optimum, relative to its size, after ``epochs`` epochs of ``config``."""
    target = penalised_optimum(problem, config)
    ends = []
    for seed in range(SEEDS):
        *_, last = sgdcore.train(problem.train, replace(config, seed=seed, epochs=epochs), report_every=1e9)
        ends.append(np.linalg.norm(np.append(last.weights, last.bias) - target) / np.linalg.norm(target))
    return np.array(ends)


DECAYING_WITH_L1 = [
    dict(momentum=0.5, nesterov=True),
    dict(),
]


@pytest.mark.parametrize("settings_", DECAYING_WITH_L1)
def test_an_l1_run_whose_schedule_runs_out_is_told_so_and_offered_no_epochs(problem, settings_) -> None:
    config = sgdcore.TrainConfig(batch_size=64, l1_penalty=0.01, schedule=sgdcore.Schedule(
        kind="exponential", gamma=0.7, step_size=13), **settings_)
    assert config.steps_per_epoch(problem.train.n_rows) == 13  # the decay an epoch, as decay_epochs=1 sets it
    # The truth: the rates die out about 10% (with momentum) or 33% away, however long the run.
    assert np.all(distances(problem, config, 2000) > 5 * ARRIVED)

    planned = sgdcore.outlook(problem, config)
    assert planned.epochs_needed == float("inf") and not planned.arrives
    assert sgdcore.Suggestion("schedule", "constant") in planned.suggestions
    assert all(fix.setting != "epochs" for fix in planned.suggestions)

    for epochs in (3, 12):
        message, _ = verdict_of(problem, replace(config, epochs=epochs))
        assert "too fast for more epochs to help" in message.text, message.text
        assert not re.search(r"about [\d,]+ more epoch", message.text), message.text
        assert all(fix.setting != "epochs" for fix in message.suggestions)
        assert sgdcore.Suggestion("schedule", "constant") in message.suggestions


@pytest.mark.parametrize("momentum", [{"momentum": "0.5", "nesterov": "1"}, {}])
def test_the_warning_before_an_l1_run_whose_schedule_runs_out_gives_no_epochs_count(momentum) -> None:
    at = app(schedule="exponential", decay_epochs="1", decay_gamma="0.7", batch_size="64", l1_penalty="0.01",
             **momentum)
    no_exceptions(at)
    warnings = " ".join(texts(at.main.warning))
    assert "too fast for this run to arrive" in warnings, warnings
    assert "takes about" not in warnings, warnings
