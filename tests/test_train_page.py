"""The Train page's controls under AppTest: Step past the last epoch, the progress bar's words, the parameters
plotted after the data changes, the metrics' notes."""

from __future__ import annotations

import re

import numpy as np
from shown_texts import english
from test_app_pages import app, button, chart_data, no_exceptions

import sgdcore
from ui import verdicts
from ui.i18n import text_in


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


def test_a_step_past_the_epochs_set_says_so_and_one_after_early_stopping_keeps_them() -> None:
    """The run's epochs grow past the sidebar's only when a Step goes past them, and the page says so; a run that
    early stopping ended sooner keeps the epochs set (it showed "10 of 51 epochs" while the sidebar said 50)."""
    at = app()
    button(at, "Train").click().run()
    button(at, "Step").click().run()
    assert any(caption.value == "Continued the run from step 240. Past the 3 epochs set: the run now has 4."
               for caption in at.main.caption), [caption.value for caption in at.main.caption]

    at = app(lang="zh-CN", early_stopping="1", epochs="50", noise="1")
    next(b for b in at.button if b.proto.type == "primary").click().run()
    converged = at.session_state["train_run"]["progress"]
    assert converged.status == "converged"
    next(b for b in at.button if b.label == "单步").click().run()
    no_exceptions(at)
    stepped = at.session_state["train_run"]["progress"]
    assert (stepped.epoch, stepped.epochs) == (converged.epoch + 1, 50)
    assert bar_text(at).startswith(f"已完成 {converged.epoch + 1} 个迭代周期，共 50 个"), bar_text(at)
    assert any("早停曾在此结束这次训练" in caption.value and "超出" not in caption.value for caption in at.main.caption)


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
    frames = chart_data(at, "Parameters")
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


def verdict(at) -> str:
    return at.success[0].value


def test_a_chinese_train_page_trains_and_its_verdict_is_chinese_with_the_runs_numbers() -> None:
    at = app(lang="zh-CN", epochs="4")
    no_exceptions(at)
    assert at.button(key="train_button").label == text_in("zh-CN", "train.train")
    at.button(key="train_button").click().run()
    no_exceptions(at)
    progress = at.session_state["train_run"]["progress"]
    assert progress.status == "finished" and progress.epochs == 4
    text = verdict(at)
    assert text.startswith(f"完成 {progress.epochs} 个迭代周期。{progress.step:,} 步，"), text
    assert "迭代周期" in text and "闭式解" in text and not english(text), text
    assert int(re.match(r"完成 (\d+) 个迭代周期", text).group(1)) == progress.epochs
    # The page around it is Chinese too: the status line, the progress bar, the buttons and the comparison.
    assert bar_text(at).startswith(f"已完成 {progress.epoch} 个迭代周期，共 {progress.epochs} 个")
    assert [b.label for b in at.button if b.key in ("train_button", "stop_button", "step_button", "reset_button")] \
        == ["训练", "停止", "单步", "重置"]
    assert "训练 R²（随机梯度下降）" in [metric.label for metric in at.metric]


def test_switching_the_language_keeps_the_run_and_the_settings_and_redraws_the_verdict() -> None:
    at = app(epochs="4", learning_rate="0.05")
    button(at, "Train").click().run()
    at.sidebar.number_input(key="epochs").set_value(5).run()
    button(at, "Train").click().run()  # continues the run: one epoch more
    english_verdict = verdict(at)
    assert re.match(r"^Finished 5 epochs\. 400 steps in ", english_verdict), english_verdict
    assert "Continued the run from step 320." in [caption.value for caption in at.main.caption]
    run = at.session_state["train_run"]["progress"]

    at.selectbox(key="lang").set_value("zh-CN").run()
    no_exceptions(at)
    assert at.session_state["train_run"]["progress"] is run  # the same run, not trained again
    assert at.session_state["epochs"] == 5 and at.session_state["learning_rate"] == 0.05
    chinese = verdict(at)
    assert chinese.startswith("完成 5 个迭代周期。400 步，") and not english(chinese), chinese
    assert "已从第 320 步继续训练。" in [caption.value for caption in at.main.caption]  # worded anew, too
    assert at.button(key="train_button").label == "训练"

    at.selectbox(key="lang").set_value("en").run()
    no_exceptions(at)
    assert at.session_state["train_run"]["progress"] is run
    assert verdict(at) == english_verdict  # word for word as before: nothing about the run changed


def test_a_pause_and_a_stop_are_worded_from_the_snapshot_as_sgdcore_words_them() -> None:
    config = sgdcore.TrainConfig(epochs=3, batch_size=10)
    data = sgdcore.synthetic(100, seed=0)
    between = list(sgdcore.train(data, config, until_epoch=1))[-1]
    inside = list(sgdcore.train(data, config, until_step=13))[-1]
    for paused in (between, inside):
        assert verdicts.paused_text(paused).startswith(paused.message[0].upper() + paused.message[1:] + ". ")
        stopped = paused.stopped()
        assert verdicts.paused_text(stopped, by_user=True).startswith(
            stopped.message[0].upper() + stopped.message[1:] + ". ")
        assert "迭代周期" in text_in("zh-CN", "verdicts.paused_inside" if paused.batch_in_epoch else
                                     "verdicts.paused_between", step=1, epoch=1, epochs=3, epoch_under_way=2, batch=3,
                                     steps_per_epoch=10, speed="")


def test_the_step_unit_and_the_loss_scale_are_kept_while_another_page_is_shown() -> None:
    """Both came back as their defaults (one epoch, a log scale) after a visit to another page."""
    def step_unit(at):
        return next(radio for radio in at.radio if radio.label == "Step by")

    def log_scale(at):
        return next(toggle for toggle in at.toggle if toggle.label == "Log-scale loss")

    at = app()
    step_unit(at).set_value("minibatch").run()
    log_scale(at).set_value(False).run()
    for page in ("pages/learning_rate.py", "pages/export.py"):
        at.switch_page(page).run()
        at.switch_page("pages/train.py").run()
        no_exceptions(at)
        assert step_unit(at).value == "minibatch"
        assert log_scale(at).value is False
    assert not at.warning  # a kept value is no conflict with a default
    button(at, "Step").click().run()
    assert at.session_state["train_run"]["progress"].step == 1  # one minibatch, as chosen


def test_the_chart_choices_are_kept_while_another_page_is_shown_and_start_afresh_with_other_data() -> None:
    """The landscape's parameters, the parameters plotted and the fit's feature came back as their defaults after a
    visit to another page (as did the Learning rate page's landscape); with other data they start afresh."""
    def chosen(at, label):
        return next(widget for widget in (*at.selectbox, *at.multiselect) if widget.label == label)

    at = app(true_weights="2, -3.4, 1")
    chosen(at, "Landscape: horizontal parameter").set_value(2).run()
    chosen(at, "Parameters to plot").set_value([1, 3]).run()
    chosen(at, "Fit against feature").set_value(2).run()
    at.switch_page("pages/learning_rate.py").run()
    chosen(at, "Landscape: horizontal parameter").set_value(1).run()
    for page in ("pages/export.py", "pages/train.py"):
        at.switch_page(page).run()
        no_exceptions(at)
    assert chosen(at, "Landscape: horizontal parameter").value == 2
    assert chosen(at, "Parameters to plot").value == [1, 3]
    assert chosen(at, "Fit against feature").value == 2
    assert not at.warning  # a kept value is no conflict with a default
    at.switch_page("pages/learning_rate.py").run()
    assert chosen(at, "Landscape: horizontal parameter").value == 1
    at.switch_page("pages/train.py").run()
    at.text_input(key="true_weights").input("2, -3.4").run()  # other data: the defaults again
    no_exceptions(at)
    assert chosen(at, "Landscape: horizontal parameter").value == 0
    assert chosen(at, "Fit against feature").value == 0


def test_a_diverged_run_s_bar_counts_the_steps_taken_and_names_the_step_that_diverged_in_both_languages() -> None:
    """At rate 5 the run's step 7 finds its minibatch's loss over the limit: the verdict says it diverged at step 7,
    the weights are those after 6 steps, and the bar, counting the steps taken, says why it shows 6."""
    for lang, train in (("en", "Train"), ("zh-CN", "训练")):
        at = app(learning_rate="5", lang=lang)
        button(at, train).click().run()
        no_exceptions(at)
        progress = at.session_state["train_run"]["progress"]
        assert progress.status == "diverged" and progress.diverged_at_step == progress.step + 1, progress
        config = sgdcore.TrainConfig(learning_rate=5.0)
        problem = sgdcore.make_problem(sgdcore.synthetic(), test_fraction=0.2)
        *_, simulated = sgdcore.train(problem.train, config, report_every=1e9)  # the same run, away from the page
        assert (simulated.step, simulated.diverged_at_step) == (progress.step, progress.diverged_at_step)
        np.testing.assert_allclose(simulated.weights, progress.weights, rtol=1e-12)  # the kernel may differ
        words = text_in(lang, "train.progress_diverged", epoch=text_in(lang, "train.epoch_under_way", epoch=1,
                                                                           epochs=3),
                        step=progress.step, total_steps=240, steps_per_second=0, diverged=progress.step + 1)
        assert bar_text(at).startswith(words.split(" · ")[0]) and bar_text(at).endswith(words.split(" · ")[-1])
        if lang == "en":
            assert bar_text(at).endswith(f"step {progress.step + 1} diverged: its loss was computed, its update "
                                         "not taken"), bar_text(at)
            said = [element.value for element in [*at.error, *at.warning]]
            assert any(text.startswith(f"Diverged at step {progress.step + 1}:") for text in said), said


def test_the_progress_bar_writes_thousands_of_epochs_as_the_verdict_does() -> None:
    at = app(epochs="3000", batch_size="800", learning_rate="1")
    assert bar_text(at).startswith("0 of 3,000 epochs done"), bar_text(at)
