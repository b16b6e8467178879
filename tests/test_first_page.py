"""What makes the first page and the first click fast keeps them right: the charts sent unchecked, their tables
named by their place (the Train page's, the comparison pages' and the sidebar's), are valid Vega-Lite and what
Streamlit would have sent (but for their height), the kernel's warm-up fills the cache from a child process, and the
server leaves garbage to Python's collector."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import altair as alt
import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

import sgdcore
from ui import charts, kernel, verdicts, zones
from ui.datasets import gradient_noise_table
from ui.sampling import SAMPLING_LABELS, noise_by_sampling_table
from ui.slots import chart_spec


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
        chart_spec(chart)  # raises on an encoding whose type Altair would have guessed from the table


@pytest.mark.parametrize("schedule", ["constant", "step", "cosine"])
def test_every_chart_of_the_sidebar_and_the_comparison_pages_is_valid_vega_lite(schedule: str) -> None:
    problem = sgdcore.make_problem(sgdcore.synthetic(500, seed=3), test_fraction=0.2)
    warmup = 20 if schedule == "constant" else 0  # the sidebar draws a constant schedule only with a warm-up
    config = sgdcore.TrainConfig(epochs=2, backend="numpy", schedule=sgdcore.Schedule(schedule, warmup_steps=warmup))
    runs = {label: list(sgdcore.train(problem.train, replace(config, learning_rate=rate, seed=seed),
                                      test=problem.test))[-1]
            for label, rate, seed in (("a", 0.03, 0), ("b", 0.1, 1))}
    limits = verdicts.limits_for(problem, "data", config)
    made = [
        zones.zones_chart(zones.rate_zones(problem, config, limits), config.learning_rate, (0.001, 0.01, 0.1, 1.0)),
        charts.schedule_chart(config, config.steps_per_epoch(problem.train.n_rows) * config.epochs),
        charts.runs_loss_chart(runs, "step", floor=problem.optimum_loss),
        charts.seeds_loss_chart({"a": list(runs.values())}, "epoch", floor=problem.optimum_loss),
        charts.landscape_chart(problem, runs, 0, 1),
        charts.gradient_noise_chart(gradient_noise_table(problem, "data", 0)),
        charts.sampling_noise_chart(noise_by_sampling_table(problem, "data", 0, config.block_size), SAMPLING_LABELS,
                                    "reshuffle"),
    ]
    for chart in made:
        chart.to_dict(validate=True)
        chart_spec(chart)


def test_a_chart_slot_sends_its_chart_as_streamlit_would_with_its_tables_named_by_their_place() -> None:
    def page() -> None:
        import altair as alt
        import pandas as pd
        import streamlit as st

        from ui.slots import ChartSlot

        def chart(shift: int) -> alt.LayerChart:
            # Typed encodings, as every chart of ui.charts has: the tables are named before Altair sees them.
            line = alt.Chart(pd.DataFrame({"x": [1, 2], "y": [3 + shift, 4]})).mark_line().encode(x="x:Q", y="y:Q")
            dots = alt.Chart(pd.DataFrame({"x": [1], "y": [5]})).mark_point().encode(x="x:Q", y="y:Q")
            return alt.layer(line, dots, line.mark_point())

        shift = st.session_state.setdefault("shift", 0)
        ChartSlot(st.container()).altair_chart(chart(shift))
        st.altair_chart(chart(shift))
        st.session_state["shift"] = shift + 1

    at = AppTest.from_function(page).run()
    assert not at.exception
    slot, plain = at.get("vega_lite_chart")
    tables = {dataset.data.data: dataset.name for dataset in plain.proto.datasets}
    assert len(slot.proto.datasets) == len(tables) == 2  # the table drawn twice is sent once
    slot_spec = slot.proto.spec
    for dataset in slot.proto.datasets:  # the same tables, under Altair's names for them: the same spec
        slot_spec = slot_spec.replace(f'"{dataset.name}"', f'"{tables[dataset.data.data]}"')
    streamlit_would = json.loads(plain.proto.spec)
    assert streamlit_would["autosize"] == {"type": "fit", "contains": "padding"}
    # But for the height, which the slot's chart keeps for its plot (the title, axes and legend come on top), and for
    # the canvas it is drawn on (Streamlit would draw these few points in SVG).
    streamlit_would["autosize"] = {"type": "fit-x", "contains": "padding"}
    assert "usermeta" not in streamlit_would
    streamlit_would["usermeta"] = {"embedOptions": {"renderer": "canvas"}}
    assert json.loads(slot_spec) == streamlit_would

    at.run()  # new data: the slot's spec is the same text, so the browser keeps its view; Altair's is not
    slot_again, plain_again = at.get("vega_lite_chart")
    assert slot_again.proto.spec == slot.proto.spec and plain_again.proto.spec != plain.proto.spec
    assert [d.data.data for d in slot_again.proto.datasets] != [d.data.data for d in slot.proto.datasets]


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


def printed_by_a_new_interpreter(code: str) -> list[str]:
    """The words ``python -c code`` prints, run from the project's folder as ``streamlit run`` would be."""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                            cwd=Path(__file__).resolve().parents[1], timeout=120)
    return result.stdout.split()


def test_sgdcore_and_the_dashboard_import_without_scikit_learn_which_the_closed_form_imports_when_it_solves() -> None:
    # In a new interpreter: this one has imported scikit-learn already. scikit-learn (scipy.stats with it) takes
    # 0.6-0.7 s to import, which a fresh server, the kernel's compile child and a Dask worker need not wait for.
    code = ("import sys, sgdcore, ui.navigation, ui.kernel, ui.widgets, ui.datasets, ui.charts, ui.verdicts, ui.lesson;"
            "before = 'sklearn' in sys.modules; sgdcore.closed_form(sgdcore.synthetic(50));"
            "print(before, 'sklearn' in sys.modules)")
    assert printed_by_a_new_interpreter(code) == ["False", "True"]


def test_sgdcore_imports_without_scipy_whose_solvers_the_limit_and_the_noise_floor_import_when_they_compute() -> None:
    # scipy.optimize and scipy.sparse.linalg take about 0.3 s to import, which a notebook's `import sgdcore`, the
    # kernel's compile child and a Dask worker need not pay. Six features (seven directions with the intercept):
    # the limit runs ARPACK and Brent's method, the floor GMRES.
    code = ("import math, sys, sgdcore;"
            "scipy = lambda: sorted(m for m in sys.modules if m == 'scipy' or m.startswith('scipy.'));"
            "print(len(scipy()));"
            "data = sgdcore.synthetic(400, w=[2.0, -3.4, 1.0, 0.5, -1.0, 3.0]);"
            "limit = sgdcore.minibatch_stability_limit(data, 4);"
            "floor = sgdcore.noise_floor(data, limit.learning_rate / 2, 4);"
            "print(limit.kind, math.isfinite(limit.learning_rate), floor is not None and floor.excess_loss > 0,"
            "      all(m in sys.modules for m in ('scipy.optimize', 'scipy.sparse.linalg')))")
    assert printed_by_a_new_interpreter(code) == ["0", "exact", "True", "True", "True"]


def test_sgdcore_imports_without_pandas_which_its_csv_reading_imports_when_first_used() -> None:
    # pandas and pyarrow take about 0.25 s and 70 MB to import, which the kernel's compile child (its memory counts
    # against the server's limit while it compiles) and a notebook on synthetic data need not pay. sgdcore.io's
    # names are still sgdcore's, listed before (a notebook completes them) and loaded on first use; a name sgdcore
    # does not have is still an AttributeError.
    csv = "b'x,y\\n1,2\\n2,4.5\\n3,5.5\\n'"
    code = ("import sys, sgdcore;"
            "loaded = lambda: [m for m in ('pandas', 'pyarrow', 'sgdcore.io') if m in sys.modules];"
            "print(loaded(), set(sgdcore.__all__) <= set(dir(sgdcore)));"
            "from sgdcore import load_csv;"
            f"table = sgdcore.read_table({csv}); data = load_csv({csv}, target='y');"
            "print(loaded(), table.frame.shape, data.X.shape, type(table) is sgdcore.Table);"
            "print(all(hasattr(sgdcore, name) for name in sgdcore.__all__), hasattr(sgdcore, 'read_tables'))")
    assert printed_by_a_new_interpreter(code) == ["[]", "True", "['pandas',", "'pyarrow',", "'sgdcore.io']",
                                                  "(3,", "2)", "(3,", "1)", "True", "True", "False"]


def test_a_chart_is_checked_whole_when_asked_not_part_by_part_as_it_is_built() -> None:
    # Altair's debug mode is off once the dashboard sends charts (ui.slots): building a chart checks nothing, so
    # the tests above check every kind of chart whole, as this check does.
    built = alt.Chart(pd.DataFrame({"x": [1.0]})).mark_point(size="big").encode(x="x:Q")
    with pytest.raises(alt.utils.schemapi.SchemaValidationError, match="big"):
        built.to_dict()


def test_streamlit_leaves_the_garbage_to_python_s_collector_after_a_run() -> None:
    # As `streamlit run dashboard.py` reads its options: from .streamlit/config.toml, in a new interpreter. Its
    # full collection after every run walked every object of the process, every open session's included; the
    # memory budget collects before it refuses anything (tests/test_memory.py).
    code = "from streamlit import config; print(config.get_option('runner.postScriptGC'))"
    assert printed_by_a_new_interpreter(code) == ["False"]


@pytest.mark.parametrize(("language", "title", "description"), [
    ("en", "Fit against x1", "Fit against x1"),
    ("en", alt.Title("Loss", subtitle="log scale"), "Loss: log scale"),
    ("en", alt.Title(["Predicted", "against actual"], subtitle=["dots: SGD;", "line: y = x"]),
     "Predicted against actual: dots: SGD; line: y = x"),
    ("zh-CN", alt.Title("损失", subtitle="对数刻度"), "损失：对数刻度"),
])
def test_a_chart_drawn_on_a_canvas_is_named_for_a_screen_reader_by_its_title(
    monkeypatch: pytest.MonkeyPatch, language: str, title, description: str
) -> None:
    monkeypatch.setattr("ui.i18n.language", lambda: language)
    chart = alt.Chart(pd.DataFrame({"x": [1, 2], "y": [3, 4]}), title=title).mark_line().encode(x="x:Q", y="y:Q")
    spec = chart_spec(chart)
    assert spec["usermeta"] == {"embedOptions": {"renderer": "canvas"}}
    assert spec["description"] == description  # Vega gives the chart's container this label


def test_a_chart_without_a_title_keeps_its_own_description_or_none() -> None:
    line = alt.Chart(pd.DataFrame({"x": [1, 2], "y": [3, 4]})).mark_line().encode(x="x:Q", y="y:Q")
    assert "description" not in chart_spec(line.copy())
    assert chart_spec(line.properties(description="Zones of the learning rate"))["description"] == \
        "Zones of the learning rate"
