"""What makes the first page and the first click fast keeps them right: the charts the Train page sends
unchecked are valid Vega-Lite, and the kernel's warm-up fills the cache from a child process."""

from __future__ import annotations

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

import sgdcore
from ui import charts, kernel


@pytest.mark.parametrize("n_features", [1, 3])
@pytest.mark.parametrize("trained", [False, True])
def test_every_chart_of_the_train_page_is_valid_vega_lite(n_features: int, trained: bool) -> None:
    weights = [2.0, -3.4, 1.5][:n_features]
    problem = sgdcore.make_problem(sgdcore.synthetic(500, weights, seed=3), test_fraction=0.2)
    config = sgdcore.TrainConfig(epochs=2, backend="numpy")
    *_, progress = sgdcore.train(problem.train, config, test=problem.test, until_epoch=None if trained else 0)
    names = problem.names
    truth = np.append(problem.train.true_weights, problem.train.true_bias)
    floor = sgdcore.noise_floor(problem.train, config.learning_rate, config.batch_size)
    made = [
        charts.loss_chart(progress, problem.optimum_loss, log_scale=True, noise_floor=floor),
        charts.parameters_chart(progress, names, problem.optimum.params, truth, list(range(len(names)))),
        charts.landscape_chart(problem, {"SGD": progress}, 0, len(names) - 1),
        charts.fit_chart(problem, progress.weights, progress.bias, 0),
        charts.predicted_chart(problem, progress.weights, progress.bias),
    ]
    for chart in made:
        chart.to_dict(validate=True)  # raises on a spec that is not Vega-Lite


def test_a_chart_slot_sends_its_chart_unchecked_and_as_streamlit_would() -> None:
    def page() -> None:
        import altair as alt
        import pandas as pd
        import streamlit as st

        from ui.slots import ChartSlot

        def chart() -> alt.Chart:
            return alt.Chart(pd.DataFrame({"x": [1, 2], "y": [3, 4]})).mark_line().encode(x="x", y="y")

        ChartSlot(st.container()).altair_chart(chart())
        st.altair_chart(chart())

    at = AppTest.from_function(page).run()
    assert not at.exception
    slot, plain = at.get("vega_lite_chart")
    assert slot.proto.spec == plain.proto.spec


def test_the_warm_up_compiles_in_a_child_process_then_loads_in_the_server(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    monkeypatch.setattr(kernel.subprocess, "run", lambda command, **_: calls.append(" ".join(command[1:])))
    monkeypatch.setattr(kernel.sgdcore, "warm_up_kernel", lambda: calls.append("in process") or 0.0)
    kernel._warm_up()
    assert calls == ["-c import os; os.nice(10); import sgdcore; sgdcore.warm_up_kernel()", "in process"]


def test_the_warm_up_still_compiles_in_the_server_when_the_child_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []

    def failing(command, **_):
        raise OSError("no child processes here")

    monkeypatch.setattr(kernel.subprocess, "run", failing)
    monkeypatch.setattr(kernel.sgdcore, "warm_up_kernel", lambda: calls.append("in process") or 0.0)
    kernel._warm_up()
    assert calls == ["in process"]
