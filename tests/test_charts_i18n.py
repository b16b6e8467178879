"""Issue 19: every word a chart shows is in the page's language, read from the Vega-Lite specs as the browser gets
them: titles, axes, legends, hover texts and the data's values that show as legend entries; English as it was."""

from __future__ import annotations

import json
import re
from dataclasses import replace

import altair as alt
import pandas as pd
import pyarrow as pa
import pytest

import sgdcore
import ui.i18n
from sgdcore.changes import describe_changes
from tests.shown_texts import _chart_texts, english
from tests.test_app_pages import app, no_exceptions, title_text
from tests.test_lesson_tooltips import hover_entries, leaf_layers
from ui import charts, conditioning, zones
from ui.i18n import text_in
from ui.sampling import SAMPLING_LABELS, noise_by_sampling
from ui.slots import chart_spec
from ui.widgets import LEARNING_RATE_GRID

LANGUAGES = ("en", "zh-CN")


@pytest.fixture
def language(request, monkeypatch) -> str:
    """Draw in the language the test is parametrised with, as a session of that language would."""
    monkeypatch.setattr(ui.i18n, "language", lambda: request.param)
    return request.param


@pytest.fixture(scope="module")
def problem() -> sgdcore.Problem:
    return sgdcore.make_problem(sgdcore.synthetic(n=400, w=[2.0, -3.4], b=4.2, noise=0.1, seed=1), test_fraction=0.2)


@pytest.fixture(scope="module")
def run(problem: sgdcore.Problem) -> tuple[sgdcore.TrainConfig, sgdcore.Progress]:
    """A run whose settings changed part-way: its loss chart draws a rule with the change's words."""
    config = sgdcore.TrainConfig(learning_rate=0.05, batch_size=16, epochs=2)
    *_, first = sgdcore.train(problem.train, config, test=problem.test)
    changed = replace(config, learning_rate=0.1, momentum=0.5, epochs=4)
    *_, progress = sgdcore.train(problem.train, changed, test=problem.test, state=first.state)
    assert progress.changes
    return changed, progress


def every_chart(problem: sgdcore.Problem, run: tuple[sgdcore.TrainConfig, sgdcore.Progress],
                ) -> dict[str, alt.TopLevelMixin]:
    """Each chart of ui.charts and ui.zones, drawn with everything it can show (reference lines, arrows, bands)."""
    config, progress = run
    floor = sgdcore.noise_floor(problem.train, config.learning_rate, config.batch_size)
    step = sgdcore.next_step(problem.train, config, progress.state)
    noise = pd.DataFrame([{"batch size": size, "spread": 1.0 / size, "where": where, "how": how}
                          for where in charts.NOISE_WHERE for how in ("predicted", "measured") for size in (1, 10)])
    by_sampling = noise_by_sampling(problem.train, problem.optimum.params, [1, 4, 16], seed=0, samples=4)
    limits = sgdcore.run_limits(problem, config)
    return {
        "loss": charts.loss_chart(progress, problem.optimum_loss, noise_floor=floor, config=config, x="examples",
                                  n_rows=problem.train.n_rows),
        "runs": charts.runs_loss_chart({"η = 0.1": progress}, "seconds", floor=problem.optimum_loss,
                                       configs={"η = 0.1": config}),
        "seeds": charts.seeds_loss_chart({"a": [progress] * 5, "b": [progress] * 2, "c": [progress]}, "epoch",
                                         floor=problem.optimum_loss),
        "parameters": charts.parameters_chart(progress, problem.names, problem.optimum.params, problem.optimum.params,
                                              [0, 1, 2], config),
        "landscape": charts.landscape_chart(problem, {"SGD": progress}, 0, 1, configs={"SGD": config}, step=step),
        "fit": charts.fit_chart(problem, progress.weights, progress.bias, 0, highlight=step.rows),
        "predicted": charts.predicted_chart(problem, progress.weights, progress.bias),
        "schedule": charts.schedule_chart(config, progress.total_steps),
        "gradient noise": charts.gradient_noise_chart(noise),
        "sampling noise": charts.sampling_noise_chart(by_sampling, SAMPLING_LABELS, "replacement"),
        "zones": zones.zones_chart(zones.rate_zones(problem, config, limits), config.learning_rate,
                                   LEARNING_RATE_GRID),
    }


@pytest.mark.parametrize("language", ["zh-CN"], indirect=True)
def test_no_chart_shows_an_english_word_in_chinese(problem, run, language) -> None:
    for name, chart in every_chart(problem, run).items():
        texts = list(_chart_texts(chart.to_dict()))
        assert texts, name
        left = {text: english(text) for text in texts if english(text)}
        assert not left, (name, left)


@pytest.mark.parametrize("language", LANGUAGES, indirect=True)
def test_every_chart_drawn_on_a_canvas_has_a_name_for_a_screen_reader_in_the_pages_language(
    problem, run, language
) -> None:
    """A canvas holds no words: its container's name (the spec's description) is all a screen reader says of it.
    Without one, vega-embed names every chart "Vega visualization"."""
    for name, chart in every_chart(problem, run).items():
        spec = chart_spec(chart)
        assert spec["usermeta"] == {"embedOptions": {"renderer": "canvas"}}, name
        description = spec.get("description")
        assert description and (language == "en" or not english(description)), (name, description)


DRAWING_FIELDS = {"order", "level", "angle", "x2", "y2"}  # how a mark is drawn, nothing a reader needs


@pytest.mark.parametrize("language", LANGUAGES, indirect=True)
def test_every_hover_text_is_titled_in_the_pages_language_with_its_numbers_formatted(problem, run, language) -> None:
    """A reviewer hovered the Train page's landscape under lang=zh-CN: "x1 1.51717558938 | x2 −2.53916007679 |
    order 45 | level 2" on a contour, "… | angle 17.8548007096" on an arrow, and the Learning rate page's paths
    chart the same. Every chart of ui.charts and ui.zones, those two and the Momentum page's valley included."""
    config, progress = run
    faster = replace(config, learning_rate=0.3)
    *_, fast = sgdcore.train(problem.train, faster, test=problem.test)
    drawn = {
        **every_chart(problem, run),
        "learning rate paths": charts.landscape_chart(problem, {"η = 0.1": progress, "η = 0.3": fast}, 0, 1,
                                                      configs={"η = 0.1": config, "η = 0.3": faster}, title="…"),
        "momentum valley": charts.landscape_chart(problem, {}, 0, 1, title="…"),
    }
    for name, chart in drawn.items():
        spec = chart.to_dict()
        for entries in hover_entries(spec):
            for entry in entries:
                assert entry.get("title"), (name, entry)  # Streamlit shows a field's own name where none is given
                assert entry["field"] not in DRAWING_FIELDS, (name, entry)
                assert entry["type"] != "quantitative" or "format" in entry, (name, entry)
                assert not english(entry["title"]) or language == "en", (name, entry)
        labels = {json.loads(layer["transform"][0]["calculate"]) for layer in leaf_layers(spec)
                  if layer.get("transform", [{}])[0].get("as") == "label"}
        if name in ("landscape", "learning rate paths", "momentum valley"):
            # The contours and the arrows say what they are; three parameters: where the one not drawn is.
            assert labels == {text_in(language, "charts.on_slice", what=text_in(language, f"charts.{what}"))
                              for what in ("contour", "negative_gradient")}
            assert not any(english(label) for label in labels) or language == "en"


@pytest.mark.parametrize("language", LANGUAGES, indirect=True)
def test_the_loss_chart_names_its_series_and_axes_in_the_pages_language(problem, run, language) -> None:
    config, progress = run
    floor = sgdcore.noise_floor(problem.train, config.learning_rate, config.batch_size)
    spec = charts.loss_chart(progress, problem.optimum_loss, noise_floor=floor, config=config).to_dict()
    assert spec["title"] == {"text": text_in(language, "charts.loss_chart"),
                             "subtitle": text_in(language, "charts.loss_subtitle_log")}
    linear = charts.loss_chart(progress, problem.optimum_loss, log_scale=False).to_dict()
    assert linear["title"]["subtitle"] == text_in(language, "charts.loss_subtitle_linear")
    assert linear["layer"][0]["encoding"]["y"]["scale"] == {"zero": False}  # the subtitle says what the axis is
    series = {row.get("series") or row["line"] for rows in spec["datasets"].values() for row in rows
              if "change" not in row}
    names = loss_series_names(language)
    assert series == set(names)
    # The legend's order and colours are the names', whatever the language
    assert spec["layer"][0]["encoding"]["color"]["scale"]["domain"] == names
    assert spec["layer"][0]["encoding"]["y"]["title"] == text_in(language, "charts.loss_axis")
    assert spec["layer"][0]["encoding"]["x"]["title"] == text_in(language, "charts.axis.step")
    changes = [row["change"] for rows in spec["datasets"].values() for row in rows if "change" in row]
    assert changes == [text_in(language, "charts.change", setting=text_in(language, "charts.changed.learning_rate"),
                               before="0.05", after="0.1") + text_in(language, "charts.change_separator")
                       + text_in(language, "charts.change", setting=text_in(language, "charts.changed.momentum"),
                                 before="0", after="0.5")]
    if language == "en":  # English exactly as before: the series' names and sgdcore's words for the change
        assert names[1:] == ["train (full, per epoch)", "test (per epoch)", charts.CLOSED_FORM_LOSS, charts.NOISE_FLOOR]
        assert changes == [what for _, what in progress.changes]
    else:
        assert names[1] == "训练集（全量，每个迭代周期）" and spec["title"]["text"] == "损失"


@pytest.mark.parametrize("language", ["en"], indirect=True)
@pytest.mark.parametrize("change", [
    {"schedule": sgdcore.Schedule(kind="step", gamma=0.5, step_size=1000, warmup_steps=1200)},
    {"schedule": sgdcore.Schedule(kind="cosine", period_steps=5000, min_factor=0.1), "batch_size": 7},
    {"schedule": sgdcore.Schedule(kind="cosine"), "nesterov": True, "momentum": 0.9},
    {"momentum": 0.9, "dampening": 0.2},
    {"schedule": sgdcore.Schedule(kind="exponential", gamma=0.9), "weight_decay": 0.01, "l1_penalty": 0.001},
    {"schedule": sgdcore.Schedule(kind="inverse_scaling", power_t=0.5), "learning_rate": 0.3},
])
def test_a_change_reads_in_english_as_sgdcore_words_it(language, change) -> None:
    before = sgdcore.TrainConfig(schedule=sgdcore.Schedule(kind="cosine", warmup_steps=10))
    after = replace(before, **change)
    assert charts.change_text(before, after) == ", ".join(describe_changes(before, after))


def test_the_zones_and_the_condition_number_read_in_chinese(problem, monkeypatch) -> None:
    monkeypatch.setattr(ui.i18n, "language", lambda: "zh-CN")
    config = sgdcore.TrainConfig(learning_rate=0.3, batch_size=10, momentum=0.5)
    found = zones.rate_zones(problem, config, sgdcore.run_limits(problem, config))
    text = zones.zones_text(found, 0.3)
    assert text.startswith("区域：") and "使用动量时" in text and f"{found.stable_below:.3g}" in text
    assert not english(text)
    lower_bound = zones.RateZones(monotone_below=1.0, stable_below=0.5, limit_kind="lower_bound", full_batch=2.0,
                                  fastest=1.5, lambda_min=0.3, lambda_max=1.0, batch_size=4)
    assert "确切的上限在 0.5 与 2 之间" in zones.zones_text(lower_bound, 0.1)
    for found in (conditioning.Conditioning(1234.5, 2.5), conditioning.Conditioning(float("inf"), None)):
        caption = conditioning.caption(found, standardize=True)
        assert caption.startswith("Hessian 矩阵") and not english(caption), caption
    steps = f"{conditioning.steps_shown(conditioning.steps_needed(1234.5)):,.0f}"  # the same number as in English
    assert f"原始数据至多 {steps} 步" in conditioning.caption(conditioning.Conditioning(1234.5, 2.5), standardize=False)
    assert dict(SAMPLING_LABELS) == {"epoch": "无放回（每个迭代周期一个随机排列）", "replacement": "有放回",
                                     "blocks": "相邻行组成的块"}


def loss_chart_as_sent(at) -> dict:
    """The Train page's loss chart, as the browser gets it: its spec, with its datasets' rows."""
    for element in at.get("vega_lite_chart"):
        spec = json.loads(element.proto.spec)
        if "loss" in json.dumps(spec.get("layer", [{}])[0].get("encoding", {}).get("y", {})):
            spec["datasets"] = {dataset.name: pa.ipc.open_stream(dataset.data.data).read_all().to_pylist()
                                for dataset in element.proto.datasets}
            return spec
    raise AssertionError("no loss chart on the page")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_train_pages_charts_are_in_the_links_language(lang: str) -> None:
    at = app(lang=lang)
    next(b for b in at.button if b.proto.type == "primary").click().run()
    no_exceptions(at)
    spec = loss_chart_as_sent(at)
    assert title_text(spec) == text_in(lang, "charts.loss_chart")
    series = {row["series"] for rows in spec["datasets"].values() for row in rows if "series" in row}
    assert series == {text_in(lang, f"charts.series_name.{code}") for code in ("minibatch", "train", "test")}
    titles = [json.loads(element.proto.spec).get("title") for element in at.get("vega_lite_chart")]
    assert text_in(lang, "charts.landscape_title") in titles
    assert {"text": text_in(lang, "charts.parameters_title"),
            "subtitle": text_in(lang, "charts.parameters_subtitle_truth")} in titles
    axis = at.radio(key="chart_axis")  # the picker of the charts' horizontal axis, options still codes
    assert axis.label == text_in(lang, "charts.axis_picker") and axis.value == "step"
    assert axis.options == [text_in(lang, f"settings.chart_axis.{code}") for code in charts.AXES]
    if lang == "zh-CN":
        assert axis.options == ["迭代步", "迭代周期", "已见样本数", "耗时"]
        for element in at.get("vega_lite_chart"):  # the sidebar's zones and schedule too
            texts = list(_chart_texts(json.loads(element.proto.spec)))
            assert not [text for text in texts if english(text)], texts


def test_switching_the_language_redraws_the_charts_and_keeps_the_chosen_axis() -> None:
    at = app(lang="en")
    next(b for b in at.button if b.proto.type == "primary").click().run()
    at.radio(key="chart_axis").set_value("epoch").run()
    assert loss_chart_as_sent(at)["layer"][0]["encoding"]["x"]["title"] == "epoch"
    at.selectbox(key="lang").set_value("zh-CN").run()
    no_exceptions(at)
    assert at.radio(key="chart_axis").value == "epoch"
    spec = loss_chart_as_sent(at)
    assert spec["title"] == {"text": "损失", "subtitle": "对数刻度"}
    assert spec["layer"][0]["encoding"]["x"]["title"] == "迭代周期"
    assert {row["series"] for rows in spec["datasets"].values() for row in rows if "series" in row} == {
        "小批量", "训练集（全量，每个迭代周期）", "测试集（每个迭代周期）"}


def columns_at(legend: alt.Legend, width: float) -> int:
    """The columns a legend of :func:`ui.charts.bottom_legend` takes at a plot ``width`` pixels wide, as Vega reads
    its expression (``width >= 356 ? 2 : 1``)."""
    for threshold, columns in re.findall(r"width >= (\d+) \? (\d+)", legend.to_dict()["columns"]["expr"]):
        if width >= int(threshold):
            return int(columns)
    return 1


def loss_series_names(language: str) -> list[str]:
    """The loss chart's series, in the legend's order, in ``language``."""
    return [text_in(language, f"charts.series_name.{code}")
            for code in ("minibatch", "train", "test", "closed_form_loss", "noise_floor")]


def lines_at(legend: alt.Legend, label: str, width: float) -> list[str]:
    """The lines a label of a :func:`ui.charts.bottom_legend` is drawn on at a plot ``width`` pixels wide, as Vega
    reads its label expression (``datum.label === "…" && width - 34 < 196 ? ["…", "…"] : … datum.label``)."""
    expression = legend.to_dict().get("labelExpr", "datum.label")
    for name, offset, pixels, lines in re.findall(r'datum\.label === ("[^"]*") && width - (\d+) < (\d+) \? (\[[^]]*\])',
                                                   expression):
        if json.loads(name) == label and width - int(offset) < int(pixels):
            return json.loads(lines)
    return [label]


def test_a_label_wider_than_a_one_column_legend_goes_on_two_lines_at_its_comma_or_bracket() -> None:
    chinese = loss_series_names("zh-CN")
    english = loss_series_names("en")
    legend = charts.bottom_legend(chinese, 3)
    # At a 1024-pixel window the loss chart's plot is 183-188 pixels wide: the label (196 pixels in Chromium) was
    # cut to "训练集（全量，每个迭…"; it now takes two lines, each narrower than the plot. At 370 pixels, one line.
    assert lines_at(legend, "训练集（全量，每个迭代周期）", 188) == ["训练集（全量，", "每个迭代周期）"]
    assert lines_at(legend, "训练集（全量，每个迭代周期）", 370) == ["训练集（全量，每个迭代周期）"]
    assert all(charts._label_pixels(line) < 188 - charts.LEGEND_ENTRY_PIXELS
               for line in lines_at(legend, "训练集（全量，每个迭代周期）", 188))
    # Without a comma, before the bracket (after a run the axis' labels are wider and the plot narrower).
    assert lines_at(legend, "测试集（每个迭代周期）", 170) == ["测试集", "（每个迭代周期）"]
    assert lines_at(legend, "测试集（每个迭代周期）", 370) == ["测试集（每个迭代周期）"]
    assert lines_at(legend, "闭式解损失", 120) == ["闭式解损失"]  # neither: whole, cut only if wider than the plot
    # English fits on one line at 1024 pixels; narrower, it breaks the same way, the comma ending the first line.
    assert lines_at(charts.bottom_legend(english, 3), "train (full, per epoch)", 183) == ["train (full, per epoch)"]
    assert lines_at(charts.bottom_legend(english, 3), "train (full, per epoch)", 120) == ["train (full,", "per epoch)"]
    assert lines_at(charts.bottom_legend(english, 3), "test (per epoch)", 100) == ["test", "(per epoch)"]
    assert [charts._two_lines(label) for label in ("(per epoch)", "train,", "x1")] == [None, None, None]
    # No expression where no label has a comma or a bracket to break at.
    assert "labelExpr" not in charts.bottom_legend(["x1", "x2", "bias"], 6).to_dict()


def test_a_bottom_legend_takes_the_columns_its_labels_fit_chinese_counted_wide() -> None:
    english = loss_series_names("en")
    chinese = loss_series_names("zh-CN")
    # The loss chart's plot is 370 pixels wide at a 1400-pixel window, 183 at 1024 (measured in Chromium).
    assert [columns_at(charts.bottom_legend(english, 3), width) for width in (183, 370, 600)] == [1, 2, 3]
    assert [columns_at(charts.bottom_legend(chinese, 3), width) for width in (183, 370, 600)] == [1, 1, 3]
    # Chinese characters are counted about twice as wide: the same entries need more room for each layout.
    assert all(columns_at(charts.bottom_legend(chinese, 3), width)
               <= columns_at(charts.bottom_legend(english, 3), width) for width in range(100, 600))
    # Short names fit six abreast where long ones take a column each; never more columns than asked or labels.
    assert columns_at(charts.bottom_legend(["x1", "x2", "x3", "x4", "x5", "x6", "bias"], 6), 370) == 6
    assert columns_at(charts.bottom_legend(["x1", "bias"], 6), 370) == 2
    assert columns_at(charts.bottom_legend(["median house value", "households per block", "bias"], 6), 300) == 1
    # The estimates are above the widths Chromium drew at Streamlit's 14-pixel labels.
    assert charts._label_pixels("train (full, per epoch)") >= 123 and charts._label_pixels("minibatch") >= 59
    assert charts._label_pixels("测试集（每个迭代周期）") >= 154 and charts._label_pixels("SGD") >= 25
