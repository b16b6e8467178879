"""The Train page's controls under AppTest: Step past the last epoch, the progress bar's words, the parameters
plotted after the data changes, the metrics' notes."""

from __future__ import annotations

import numpy as np
from test_app_pages import app, button, chart_data, no_exceptions

import sgdcore


def bar_text(at) -> str:
    return at.get("progress")[0].proto.text


def test_step_after_the_last_epoch_trains_one_more_epoch_of_the_same_run() -> None:
    at = app()
    button(at, "Train").click().run()
    finished = at.session_state["train_run"]["progress"]
    assert (finished.status, finished.epoch, finished.step) == ("finished", 3, 240)
    assert bar_text(at).startswith("3 of 3 epochs done")

    button(at, "Step").click().run()
    no_exceptions(at)
    stepped = at.session_state["train_run"]["progress"]
    assert (stepped.status, stepped.epoch, stepped.epochs, stepped.step) == ("finished", 4, 4, 320)
    assert at.success[0].value.startswith("Finished 4 epochs")
    assert bar_text(at).startswith("4 of 4 epochs done")
    losses, _ = chart_data(at, "Loss")
    assert losses["step"].max() == 320

    # The same as four epochs trained in one go: nothing was thrown away or started again.
    straight = app(epochs="4")
    button(straight, "Train").click().run()
    four = straight.session_state["train_run"]["progress"]
    assert np.array_equal(stepped.weights, four.weights) and stepped.bias == four.bias


def test_step_after_a_cosine_run_keeps_the_schedule_of_the_planned_run() -> None:
    at = app(schedule="cosine")
    button(at, "Train").click().run()
    button(at, "Step").click().run()
    no_exceptions(at)
    stepped = at.session_state["train_run"]["progress"]
    config = at.session_state["train_run"]["config"]
    assert stepped.epoch == 4 and config.epochs == 4 and config.schedule.period_steps == 240
    # Steps 0-239 ran with the planned 3-epoch cosine, as the first run did.
    planned = sgdcore.TrainConfig(schedule=sgdcore.Schedule(kind="cosine", period_steps=240))
    assert np.allclose(config.learning_rate_at(np.arange(240)), planned.learning_rate_at(np.arange(240)))


def test_the_bar_and_the_status_name_the_same_epoch_while_paused() -> None:
    at = app()
    button(at, "Step").click().run()
    no_exceptions(at)
    assert at.warning[0].value.startswith("Paused after epoch 1 of 3")
    assert bar_text(at).startswith("1 of 3 epochs done")


def parameters_plotted(at) -> list[str]:
    frames = chart_data(at, "Parameters (dashed: closed form; ◆ truth)")
    return sorted({name for frame in frames if "parameter" in frame for name in frame["parameter"]})


def test_the_parameters_plotted_follow_the_data() -> None:
    at = app()
    assert set(parameters_plotted(at)) == {"x1", "x2", "bias"}
    at.session_state["true_weights"] = ", ".join(["1"] * 8)
    at.run()
    no_exceptions(at)
    plotted = set(parameters_plotted(at))
    # Six weights and the bias by default, whatever was chosen for the two-feature data.
    assert plotted == {"x1", "x2", "x3", "x4", "x5", "x6", "bias"}, plotted


def test_the_closed_form_figures_under_the_metrics_carry_no_arrow() -> None:
    at = app()
    button(at, "Train").click().run()
    metrics = list(at.metric)
    assert len(metrics) == 5 and all(metric.delta.startswith(("closed form", "wall time")) for metric in metrics)
    assert all(metric.proto.direction == metric.proto.MetricDirection.NONE for metric in metrics)
