"""The Train page's settings changed part-way (issue 18, point 9): a paused or lengthened run continues with the
new learning rate instead of starting again, the loss chart marks where, and the page says which happened."""

from __future__ import annotations

import json
import re

import numpy as np
from test_app_pages import app, button, chart_data, no_exceptions

from tests.test_app_pages import title_text
from ui.i18n import text_in


def saved(at):
    return at.session_state["train_run"]


def loss_spec(at) -> dict:
    for chart in at.get("vega_lite_chart"):
        spec = json.loads(chart.proto.spec)
        if title_text(spec) == "Loss":
            return spec
    raise AssertionError("no loss chart")


def layers(spec: dict) -> list[dict]:
    """Every layer of a layered spec, nested layers opened."""
    return [inner for layer in spec.get("layer", []) for inner in ([layer] if "layer" not in layer else layers(layer))]


def marked_changes(at) -> list[tuple[int, str]]:
    """The change rules of the loss chart: (step, what changed), from the layers that draw them (the dotted rule and
    the wide, all but invisible one over it that takes the hover, both saying what changed)."""
    rules = [layer for layer in layers(loss_spec(at)) if layer.get("mark", {}).get("type") == "rule"
             and "change" in json.dumps(layer.get("encoding", {}).get("tooltip", []))]
    datasets = chart_data(at, "Loss")
    frames = [frame for frame in datasets if "change" in frame]
    assert len(rules) == 2 and all(rule["encoding"]["x"]["field"] == "step" for rule in rules), rules
    assert sorted(rule["mark"].get("strokeOpacity", 1) for rule in rules) == [0.01, 1], rules
    assert len(frames) == 1, [list(frame) for frame in datasets]
    return list(zip(frames[0]["step"], frames[0]["change"], strict=True))


def caption_texts(at) -> list[str]:
    return [caption.value for caption in at.main.caption]


def test_a_paused_run_continues_with_a_new_learning_rate_and_the_chart_marks_it() -> None:
    at = app()
    button(at, "Step").click().run()  # one epoch, then paused
    paused = saved(at)["progress"]
    assert (paused.status, paused.step, paused.epoch) == ("stopped", 80, 1)

    at.sidebar.select_slider(key="learning_rate").set_value(0.1).run()
    assert any("continues it with them from step 80" in info.value and "learning rate 0.03 → 0.1" in info.value
               for info in at.info)
    button(at, "Train").click().run()
    no_exceptions(at)
    run = saved(at)
    continued = run["progress"]
    # The same run, three epochs in all: steps 81 to 240 at the new rate, the history of the first 80 kept.
    assert (continued.status, continued.step, continued.epoch) == ("finished", 240, 3)
    assert len(continued.epoch_train_loss) == 4 and continued.loss_steps.max() == 240
    assert np.array_equal(continued.epoch_train_loss[:2], paused.epoch_train_loss)
    assert run["config"].learning_rate == 0.1
    assert continued.changes == ((80, "learning rate 0.03 → 0.1"),)
    assert marked_changes(at) == [(80, "learning rate 0.03 → 0.1")]
    assert any(text.startswith("Continued the run from step 80 with the new settings: learning rate 0.03 → 0.1")
               for text in caption_texts(at))
    losses, *_ = chart_data(at, "Loss")
    assert losses["step"].max() == 240
    # Hovering a point names the rate its step was taken at: the old one up to step 80, the new one after.
    assert set(losses.loc[losses["step"].between(1, 80), "learning rate"]) == {0.03}
    assert set(losses.loc[losses["step"] > 80, "learning rate"]) == {0.1}


def test_a_new_batch_size_on_a_constant_schedule_is_the_one_change_named() -> None:
    # The sidebar makes the schedule's decay period from its epochs and the batch size (10 → 100: 80 steps → 8),
    # which a constant schedule does not read: a batch size change is not also a "schedule constant → constant".
    at = app()
    button(at, "Step").click().run()  # one epoch, then paused
    at.sidebar.number_input(key="batch_size").set_value(100).run()
    pending = [info.value for info in at.info if "The settings changed since this run" in info.value]
    assert len(pending) == 1 and "(batch size 10 → 100)" in pending[0], pending
    button(at, "Train").click().run()
    no_exceptions(at)
    assert saved(at)["progress"].changes == ((80, "batch size 10 → 100"),)
    assert marked_changes(at) == [(80, "batch size 10 → 100")]
    assert any(text.startswith("Continued the run from step 80 with the new settings: batch size 10 → 100")
               for text in caption_texts(at)), caption_texts(at)


def test_raising_the_epochs_of_a_finished_run_continues_it_with_the_new_settings() -> None:
    at = app(epochs="2")
    button(at, "Train").click().run()
    first = saved(at)["progress"]
    assert (first.status, first.step) == ("finished", 160)

    at.sidebar.number_input(key="epochs").set_value(4).run()
    at.sidebar.select_slider(key="learning_rate").set_value(0.01).run()
    at.sidebar.slider(key="momentum").set_value(0.5).run()
    button(at, "Train").click().run()
    no_exceptions(at)
    continued = saved(at)["progress"]
    assert (continued.status, continued.step, continued.epoch) == ("finished", 320, 4)
    assert len(continued.epoch_train_loss) == 5
    assert continued.changes == ((160, "learning rate 0.03 → 0.01, momentum 0 → 0.5"),)
    assert marked_changes(at) == [(160, "learning rate 0.03 → 0.01, momentum 0 → 0.5")]


def test_a_new_seed_starts_a_new_run_and_says_so() -> None:
    at = app()
    button(at, "Step").click().run()
    at.sidebar.number_input(key="seed").set_value(7).run()
    assert any("starts a new run with them (the seed changed)" in info.value for info in at.info)
    button(at, "Train").click().run()
    no_exceptions(at)
    fresh = saved(at)["progress"]
    assert (fresh.step, fresh.changes) == (240, ())
    assert "Started a new run: the seed changed." in caption_texts(at)
    assert not [layer for layer in layers(loss_spec(at)) if "change" in json.dumps(layer.get("encoding", {}))]


def test_a_finished_run_with_a_new_rate_and_no_more_epochs_starts_again() -> None:
    at = app()
    button(at, "Train").click().run()
    at.sidebar.select_slider(key="learning_rate").set_value(0.1).run()
    assert any("raise the epochs to continue it instead" in info.value for info in at.info)
    button(at, "Train").click().run()
    no_exceptions(at)
    assert (saved(at)["progress"].step, saved(at)["progress"].changes) == (240, ())


def test_the_export_page_says_a_changed_run_is_not_its_script() -> None:
    from test_app_pages import open_page

    at = app()
    button(at, "Step").click().run()
    at.sidebar.select_slider(key="learning_rate").set_value(0.1).run()
    button(at, "Train").click().run()
    at = open_page(at, "export")
    no_exceptions(at)
    assert any(warning.value.startswith("The run's settings changed part-way (at step 80: learning rate 0.03 → 0.1)")
               for warning in at.warning)


def test_the_words_before_train_say_what_a_click_will_do() -> None:
    from dataclasses import replace

    import sgdcore
    from ui import midrun

    data = sgdcore.synthetic(n=1000, seed=0)
    config = sgdcore.TrainConfig(epochs=2, backend="numpy")
    runs = sgdcore.train(data, config, report_every=0)
    paused = next(runs).stopped()  # inside the first epoch
    runs.close()
    assert paused.batch_in_epoch > 0
    run = {"key": f"data|{config}", "progress": paused, "config": config}
    bigger = replace(config, batch_size=20)
    text = midrun.pending_text(run, "data", bigger, problem=None)
    assert text.startswith(f"The settings changed since this run (batch size 10 → 20): **Train** continues it with "
                           f"them from step {paused.step:,}")
    assert "The new batch size starts with the next epoch" in text
    assert midrun.continued_run(run, "data", bigger, None) is paused
    assert midrun.continued_run(run, "other data", bigger, None) is None
    reseeded = replace(config, seed=1, shuffle="none")
    assert midrun.continued_run(run, "data", reseeded, None) is None
    assert "(the seed and sampling changed)" in midrun.pending_text(run, "data", reseeded, None)
    assert midrun.how_text(run, None, "data", reseeded, None) == "Started a new run: the seed and sampling changed."
    assert midrun.how_text(None, None, "data", config, None) is None  # a first run needs no words


def test_examples_seen_count_each_epoch_in_the_batch_size_it_began_with() -> None:
    from dataclasses import replace

    import sgdcore
    from ui import charts

    data = sgdcore.synthetic(n=1000, seed=0)
    config = sgdcore.TrainConfig(epochs=3, backend="numpy")
    runs = sgdcore.train(data, config, report_every=0)
    paused = next(runs).stopped()  # at step 64, inside the first epoch
    runs.close()
    continued = [*sgdcore.train(data, replace(config, batch_size=25), state=paused.state)][-1]
    steps = np.array([0, 64, 100, 101, 140, 150, 180])
    # Epoch 1 in minibatches of 10 (100 steps), epochs 2 and 3 in minibatches of 25 (40 steps each).
    assert list(charts.examples_seen_across_changes(continued, steps, 1000)) == [0, 640, 1000, 1025, 2000, 2250, 3000]
    # Without a change it counts as examples_seen does, a short or dropped last batch included.
    for drop_last in (False, True):
        plain = sgdcore.TrainConfig(epochs=2, batch_size=30, drop_last=drop_last, backend="numpy")
        run = [*sgdcore.train(data, plain)][-1]
        every = np.arange(run.step + 1)
        assert np.array_equal(charts.examples_seen_across_changes(run, every, 1000),
                              charts.examples_seen(every, 1000, plain))


def test_a_change_of_settings_is_worded_in_english_as_sgdcore_words_it_and_in_chinese_from_the_same_fields(
        monkeypatch) -> None:
    from dataclasses import replace

    import sgdcore
    import ui.i18n
    from sgdcore.changes import describe_changes, describe_schedule
    from ui import charts

    before = sgdcore.TrainConfig(learning_rate=0.03)
    schedules = [sgdcore.Schedule(), sgdcore.Schedule("step", gamma=0.5, step_size=1_000),
                 sgdcore.Schedule("exponential", gamma=0.9, step_size=80), sgdcore.Schedule("inverse_scaling"),
                 sgdcore.Schedule("cosine"), sgdcore.Schedule("cosine", period_steps=2_400, min_factor=0.1),
                 sgdcore.Schedule("step", warmup_steps=1_200)]
    afters = [replace(before, learning_rate=0.1, momentum=0.9, nesterov=True, batch_size=20, weight_decay=1e-3),
              replace(before, l1_penalty=0.01, dampening=0.5, momentum=0.5),
              *(replace(before, schedule=schedule) for schedule in schedules)]
    for schedule in schedules:
        assert charts.schedule_words(schedule) == describe_schedule(schedule)
    for after in afters:
        assert charts.change_phrases(before, after) == describe_changes(before, after)
        assert charts.change_phrases(after, before) == describe_changes(after, before)

    monkeypatch.setattr(ui.i18n, "language", lambda: "zh-CN")
    chinese = charts.change_phrases(before, afters[0])
    assert chinese == ("学习率 0.03 → 0.1", "批量大小 10 → 20", "动量 0 → 0.9", "Nesterov 动量 关 → 开",
                       "权重衰减 0 → 0.001")
    assert charts.schedule_words(schedules[1]) == "阶梯衰减：每 1,000 步 ×0.5"
    assert charts.schedule_words(schedules[6]) == "阶梯衰减：每 100 步 ×0.5，预热 1,200 步"


def test_a_schedule_is_called_by_its_name_in_the_sidebar_wherever_the_page_names_it(monkeypatch) -> None:
    """A learner looks for a schedule that a change, a rule of the loss chart or a suggestion's button names in the
    sidebar's list of schedules: each names it as that list does (the Chinese page called inverse scaling 反比缩放 in
    the list, 逆缩放 on the suggestion's button and 逆标度 on the chart, and a constant rate 常数 and 恒定). The English
    words of a change are sgdcore's, which name a kind by the first word of its name ("step ×0.5 every 80 steps")."""
    import sgdcore
    import ui.i18n
    from ui import charts

    for language in ("en", "zh-CN"):
        monkeypatch.setattr(ui.i18n, "language", lambda language=language: language)
        for kind in sgdcore.SCHEDULES:
            name = re.split(r" \(|（", text_in(language, f"settings.schedule.{kind}"))[0].casefold()
            if language == "en":
                name = name.split(" ")[0]
            suggested = text_in(language, f"verdicts.schedule.{kind}")
            for words in (charts.schedule_words(sgdcore.Schedule(kind)), suggested):
                assert words.casefold().startswith(name), (language, kind, name, words)


def test_every_setting_a_run_keeps_or_records_has_its_words_in_both_languages() -> None:
    from sgdcore.changes import FIXED, RECORDED

    for language in ("en", "zh-CN"):
        assert all(text_in(language, f"runner.fixed.{name}") for name in FIXED)
        assert all(text_in(language, f"charts.changed.{name}") for name in RECORDED)
    assert [text_in("en", f"charts.changed.{name}") for name in RECORDED] == list(RECORDED.values())


def test_a_diverged_run_s_new_run_says_which_settings_changed() -> None:
    """After a diverged run, "The settings changed since this run: Train starts a new run" did not say which."""
    from dataclasses import replace

    import sgdcore
    from ui import midrun

    data = sgdcore.synthetic(n=1000, seed=0)
    config = sgdcore.TrainConfig(epochs=2, learning_rate=5.0, backend="numpy")
    *_, diverged = sgdcore.train(data, config)
    assert diverged.status == "diverged"
    run = {"key": f"data|{config}", "progress": diverged, "config": config}
    text = midrun.pending_text(run, "data", replace(config, learning_rate=0.03), problem=None)
    assert text.startswith("The settings changed since this run (learning rate 5 → 0.03): **Train** starts a new run")
