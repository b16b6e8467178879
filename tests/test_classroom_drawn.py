"""What a classroom link's texts name is what the link draws: the notice's "You may change", the lessons' "Try:" and
their answers name only controls the student sees on that link, or say that the link fixes them (the project's rule:
advice names only values the UI can set; on a classroom link, only the settings the link leaves to the student)."""

from __future__ import annotations

import re
from dataclasses import replace

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

import sgdcore
from tests.test_app_pages import app, no_exceptions, open_page
from tests.test_app_truth import problem_of
from tests.test_classroom import notice
from tests.test_lesson_panel import number_after, reveal
from ui.charts import TINY
from ui.classroom import BUILDER_CONTROLS
from ui.i18n import text_in
from ui.settings import CONTROLS, batch_size_runs

WIDGETS = ("number_input", "text_input", "slider", "select_slider", "selectbox", "toggle", "radio", "multiselect")


def drawn_keys(at: AppTest) -> set[str]:
    """The settings whose widgets the page draws, in the sidebar and on the page."""
    return {widget.key for kind in WIDGETS for widget in getattr(at, kind) if widget.key in CONTROLS}


@pytest.mark.parametrize(("query", "english", "chinese"), [
    ({"show": "learning_rate,decay_gamma"}, "You may change: Learning rate η.", "你可以修改：学习率 η。"),
    ({"show": "decay_gamma"}, "You may change: nothing, as the controls the link names are not drawn",
     "你可以修改：无，因为在链接固定的设置下"),
    ({"show": "learning_rate,tol"}, "You may change: Learning rate η.", "你可以修改：学习率 η。"),
    ({"show": "schedule,power_t"}, "You may change: Learning-rate schedule; exponent (power_t).",
     "你可以修改：学习率调度；幂指数（power_t）。"),
])
def test_the_notice_lists_only_the_controls_the_student_can_see(query: dict, english: str, chinese: str) -> None:
    """``show=learning_rate,decay_gamma`` with the schedule fixed at Constant draws no decay factor, yet the notice
    said "You may change: Learning rate η; Decay factor γ."; the English notice said "power_t" where the sidebar says
    "exponent (power_t)"."""
    at = app(**query)
    no_exceptions(at)
    assert english in notice(at), notice(at)
    assert chinese in notice(app(lang="zh-CN", **query))
    if query == {"show": "learning_rate,decay_gamma"}:
        assert drawn_keys(at) == {"learning_rate"}
    if query == {"show": "schedule,power_t"}:  # a schedule's control is listed where the student can draw it
        assert notice(app(show="schedule,decay_gamma")).endswith("You may change: Learning-rate schedule; Decay "
                                                                 "factor γ.")
        assert notice(app(show="decay_gamma", schedule="step")).endswith("You may change: Decay factor γ.")


@pytest.mark.parametrize(("lang", "words"), [
    ("en", "Decay factor γ: drawn only for a learning-rate schedule that uses it, and this link fixes Learning-rate "
           "schedule at Constant"),
    ("zh-CN", "衰减因子 γ：只在用到它的学习率调度下显示，而这个链接把学习率调度固定为常数"),
])
def test_the_builder_says_a_schedules_control_needs_the_schedule_left_or_decaying(lang: str, words: str) -> None:
    at = open_page(app(lang=lang), "export")
    at.multiselect(key=BUILDER_CONTROLS).set_value(["learning_rate", "decay_gamma"]).run()
    no_exceptions(at)
    warnings = [warning.value for warning in at.warning]
    assert any(words in warning for warning in warnings), warnings
    for fine in (["learning_rate", "schedule", "decay_gamma"], ["learning_rate", "batch_size"]):
        at.multiselect(key=BUILDER_CONTROLS).set_value(fine).run()
        assert not [warning.value for warning in at.warning if words[:8] in warning.value]
    at = open_page(app(lang=lang, schedule="step"), "export")
    at.multiselect(key=BUILDER_CONTROLS).set_value(["learning_rate", "decay_gamma"]).run()
    assert not [warning.value for warning in at.warning if words[:8] in warning.value]


def test_the_builder_names_several_hidden_controls_as_several_and_starts_with_a_capital() -> None:
    at = open_page(app(), "export")
    at.multiselect(key=BUILDER_CONTROLS).set_value(["learning_rate", "power_t"]).run()
    assert any(warning.value.startswith("Exponent (power_t): drawn only for a learning-rate schedule that uses it,")
               for warning in at.warning), [warning.value for warning in at.warning]
    at.multiselect(key=BUILDER_CONTROLS).set_value(["learning_rate", "decay_gamma", "decay_epochs"]).run()
    assert any("that uses them" in warning.value and "would not see them" in warning.value
               for warning in at.warning), [warning.value for warning in at.warning]


def batch_size_limit(at: AppTest, batch_size: int) -> float:
    """The stability limit at ``batch_size`` on the data in use, as the sidebar computes it."""
    from ui.datasets import current_problem

    problem = current_problem(at.session_state).problem
    return sgdcore.minibatch_stability_limit(problem.train, batch_size).learning_rate


DIVERGES = {"train": "A run of the sidebar's settings diverges (at step 61).",
            "export": "At these settings the runs diverge."}
QUESTION = {"train": "optimum", "export": "seed"}


@pytest.mark.parametrize("page", ["train", "export"])
def test_a_diverging_runs_answer_names_only_the_levers_the_link_leaves(page: str) -> None:
    """Learning rate 1 at batch size 1 diverges: the answers said "lower the learning rate" to a student whose link
    (show=epochs,batch_size) fixes it. Batch size is the lever left: the answer names the smallest batch size whose
    stability limit is above the rate."""
    query = {"batch_size": "1", "learning_rate": "1"}
    at = app(show="epochs,batch_size", **query)
    at = at if page == "train" else open_page(at, page)
    said = reveal(at, page, QUESTION[page])
    assert said.endswith(DIVERGES[page] + " To stop it, set **Batch size** to 4 (its stability limit, 1.04, is above "
                                          "learning rate 1)."), said
    assert "learning rate first" not in said and "lower the learning rate" not in said
    assert "batch_size" in drawn_keys(at) and "learning_rate" not in drawn_keys(at)
    assert batch_size_limit(at, 3) <= 1.0 < batch_size_limit(at, 4)

    at = app(**query)  # no link: both levers
    at = at if page == "train" else open_page(at, page)
    rate = number_after(reveal(at, page, QUESTION[page]), "set **Learning rate η** to")
    assert rate < batch_size_limit(at, 1)
    assert reveal(at, page, QUESTION[page]).endswith(
        f"To stop it, set **Learning rate η** to {rate:g} or lower (below the stability limit at batch size 1) or set "
        "**Batch size** to 4 (its stability limit, 1.04, is above learning rate 1).")

    at = app(show="epochs", **query)  # neither: said to be fixed
    at = at if page == "train" else open_page(at, page)
    assert reveal(at, page, QUESTION[page]).endswith(
        "The settings that would stop it are fixed by the classroom link: Learning rate η 1, Batch size 1.")

    at = app(show="epochs,batch_size", lang="zh-CN", **query)
    at = at if page == "train" else open_page(at, page)
    assert reveal(at, page, QUESTION[page]).endswith(
        "要让它不再发散，把**批量大小**设为 4（它的稳定性上限 1.04 高于学习率 1）。")


def test_a_rate_above_even_the_full_batchs_limit_names_no_batch_size() -> None:
    """At learning rate 5 no batch size is stable (the full batch's limit is below it): batch size is no lever."""
    said = reveal(app(show="batch_size", learning_rate="5"), "train", "optimum")
    assert said.endswith("The settings that would stop it are fixed by the classroom link: Learning rate η 5."), said


BUTTONS_AND_WIDGETS = (*WIDGETS, "button")
BOLD = re.compile(r"\*\*(.+?)\*\*")


def drawn_labels(at: AppTest) -> set[str]:
    """The labels of every widget and button the page draws."""
    return {widget.label for kind in BUTTONS_AND_WIDGETS for widget in getattr(at, kind)}


def try_text(at: AppTest) -> str:
    texts = [markdown.value for markdown in at.markdown if markdown.value.startswith(("**Try:**", "**试一试：**"))]
    assert len(texts) == 1, [markdown.value[:40] for markdown in at.markdown]
    return texts[0].split("** ", 1)[1]


def on_page(query: dict, page: str) -> AppTest:
    at = app(**query)
    return at if page == "train" else open_page(at, page)


PAGES = ("train", "learning_rate", "batch_size", "momentum", "data", "export")


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
@pytest.mark.parametrize("show", ["learning_rate,batch_size", "none", "learning_rate,momentum_page_full_batch",
                                  "condition_number,momentum_compared"])
def test_every_control_a_try_names_in_bold_is_drawn_on_the_link(lang: str, show: str) -> None:
    """The "Try:" texts were the same on every link: on the builder's default link (learning rate and batch size) the
    Learning rate page said to turn **Full batch** off, a toggle the link hides, and the Momentum page to set κ and
    μ, which it does not draw."""
    at = app(lang=lang, show=show)
    for page in PAGES:
        at = at if page == "train" else open_page(at, page)
        no_exceptions(at)
        said = try_text(at)
        named = set(BOLD.findall(said))
        assert named <= drawn_labels(at), (page, said, named - drawn_labels(at))


def see_text(at: AppTest) -> str:
    starts = ("**You should see:**", "**你应该看到：**")
    texts = [markdown.value for markdown in at.markdown if markdown.value.startswith(starts)]
    assert len(texts) == 1, [markdown.value[:40] for markdown in at.markdown]
    return texts[0].split("** ", 1)[1]


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
@pytest.mark.parametrize("show", ["learning_rate,batch_size", "momentum_page_rate_multiple,batch_size_page_epochs"])
def test_what_to_see_has_the_student_set_only_controls_the_link_draws(lang: str, show: str) -> None:
    """The Momentum lesson's "You should see" said to set **Learning rate (× 1/λ_max)** to 1.9, and the Batch size
    lesson's to raise the page's epochs, on links that draw neither; where the link draws them, they are named."""
    at = app(lang=lang, show=show)
    for page in ("batch_size", "momentum"):
        at = open_page(at, page)
        no_exceptions(at)
        said = see_text(at)
        named = set(BOLD.findall(said))
        assert named <= drawn_labels(at), (page, said, named - drawn_labels(at))
        assert ("1.9" if page == "momentum" else "0.03") in said  # the finding stays where its setting is fixed
        assert bool(named) == (show != "learning_rate,batch_size"), said


@pytest.mark.parametrize(("page", "english", "chinese"), [
    ("train", "Press **Train**, then change one setting at a time: a learning rate of 0.3 or a batch size of 1. The "
              "classroom link fixes the other settings this lesson changes: Epochs 3.",
     "按下 **训练** 按钮，然后每次只改一个设置：0.3 的学习率或大小为 1 的批量。"
     "本课要改的其他设置已被课堂链接固定：迭代周期数 3。"),
    ("learning_rate", "Keep the page's rates and press **Train all**. The classroom link fixes the other settings this "
                      "lesson changes: Learning-rate page: full batch on.", None),
    ("momentum", "Press **Train all three**. The classroom link fixes the other settings this lesson changes: "
                 "Condition number κ 100; Momentum μ compared 0.9; Momentum page: full batch on.", None),
])
def test_the_try_on_the_default_builder_link_names_what_it_fixes(page: str, english: str, chinese: str | None) -> None:
    assert try_text(on_page({"show": "learning_rate,batch_size"}, page)) == english
    if chinese:
        assert try_text(on_page({"show": "learning_rate,batch_size", "lang": "zh-CN"}, page)) == chinese
    if page == "train":  # a link that draws every control the lesson's own text names keeps that text
        assert try_text(on_page({"show": "learning_rate,batch_size,epochs"}, "train")).startswith(
            "Press **Train** with the sidebar's defaults (as in D2L")


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_polyaks_settings_are_not_to_be_set_where_the_link_hides_the_pages_controls(lang: str) -> None:
    """On the builder's default link the Momentum page draws neither Momentum μ nor its learning rate, yet the answer
    said to set them to 0.67 and 3.3."""
    said = reveal(on_page({"show": "learning_rate,batch_size", "lang": lang}, "momentum"), "momentum", "best")
    if lang == "en":
        assert said.startswith("Polyak's heavy ball is the theory's fastest: for κ = 100, μ = 0.669 with learning "
                               "rate 3.31 × 1/λ_max."), said
        assert ("momentum μ = **0.67** with learning rate **3.3** × 1/λ_max, which the classroom link does not let "
                "this page set (Momentum μ compared 0.9; Momentum page: learning rate (× 1/λ_max) 1).") in said, said
        assert "set **" not in said
    else:
        assert said.startswith("理论上最快的是 Polyak 的重球法：κ = 100 时，μ = 0.669，学习率 3.31 × 1/λ_max。"), said
        assert "动量 μ = **0.67**，学习率 **3.3** × 1/λ_max；课堂链接不允许在本页设置它们" in said, said
        assert "设为" not in said.split("\n")[0]
    shown = reveal(on_page({"show": "momentum_compared,momentum_page_rate_multiple"}, "momentum"), "momentum", "best")
    assert "set **Momentum μ** to **0.67** and **Learning rate (× 1/λ_max)** to **3.3**" in shown


def test_full_batch_is_not_to_be_turned_on_where_the_link_keeps_it_off() -> None:
    query = {"show": "learning_rate", "momentum_page_full_batch": "0", "momentum_page_batch_size": "10"}
    said = reveal(on_page(query, "momentum"), "momentum", "best")
    assert "turn **Full batch** on" not in said
    assert "Both are full-batch figures, which the classroom link keeps this page from running (Momentum page: full " \
           "batch off): at this page's batch size, 10," in said, said
    assert "turn **Full batch** on" in reveal(on_page({k: v for k, v in query.items() if k != "show"}, "momentum"),
                                             "momentum", "best")


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_the_batch_size_lessons_see_says_it_is_plain_sgds_where_the_sidebar_trains_otherwise(lang: str) -> None:
    """With the sidebar's momentum 0.9 and the Try's rate 0.3, batch size 1 diverges, where the lesson says the small
    batches hover above the line: it describes plain SGD, and says so where the sidebar trains otherwise."""
    note = text_in(lang, "lesson.see_not_plain_sgd")
    assert note not in see_text(open_page(app(lang=lang), "batch_size"))
    assert note in see_text(open_page(app(lang=lang, momentum="0.9", learning_rate="0.3"), "batch_size"))
    limit = sgdcore.minibatch_stability_limit(problem_of(app()).train, 1, momentum=0.9).learning_rate
    assert limit < 0.3  # what the note is for: batch size 1 diverges there


def epoch_losses(problem: sgdcore.Problem, config: sgdcore.TrainConfig, epochs: int) -> np.ndarray:
    """A run's full training loss at the end of each epoch, as the Batch size page's chart draws it (clipped where a
    log scale cannot go)."""
    *_, last = sgdcore.train(problem.train, replace(config, epochs=epochs), report_every=1e9)
    return np.maximum(last.epoch_train_loss, TINY)


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_the_batch_size_lessons_see_has_no_noise_floor_on_noise_free_data(lang: str) -> None:
    """With the data's noise at 0 the lesson said the small batches' loss "stays noisy and hovers above the line,
    higher at the higher learning rate", where the closed form fits every row and their loss falls onto the line and
    stays there. What it says instead is checked on the page's own runs, at the default rate and the Try's."""
    at = open_page(app(lang=lang, noise="0"), "batch_size")
    no_exceptions(at)
    said = see_text(at)
    assert ("hovers above" if lang == "en" else "徘徊在虚线之上") not in said, said
    more = text_in(lang, "lesson.batch_size.see_more_epochs")
    assert said == text_in(lang, "lesson.batch_size.see_noise_free", more_epochs=more), said
    assert see_text(open_page(app(lang=lang), "batch_size")) == text_in(lang, "lesson.batch_size.see",
                                                                        more_epochs=more)
    if lang == "zh-CN":
        return
    problem = problem_of(at)
    line = max(problem.optimum_loss, TINY)  # the dashed line, as the chart draws it
    for rate, on_the_line, falling, tens in ((0.03, (1,), 10, False), (0.3, (1, 10), 100, True)):
        runs = {config.batch_size: config for config in batch_size_runs({"noise": 0.0, "learning_rate": rate},
                                                                        problem.train.n_rows)}
        assert list(runs) == [1, 10, 100, problem.train.n_rows]
        for size in on_the_line:  # "on the line after one epoch", and it stays there
            assert np.all(epoch_losses(problem, runs[size], 5)[1:] <= line), (rate, size)
        factors = epoch_losses(problem, runs[falling], 5)[:-1] / epoch_losses(problem, runs[falling], 5)[1:]
        low, high = (50, 200) if rate == 0.03 else (200, 900)  # "about a hundredfold", "a few hundredfold"
        assert np.all((low < factors) & (factors < high)), (rate, factors)
        full = epoch_losses(problem, runs[problem.train.n_rows], 1000)
        assert full[5] > 1e-3 * full[0]  # far above the line after the page's 5 epochs
        reached = int(np.flatnonzero(full <= line)[0])  # "at 0.3 in tens of epochs, at 0.03 in hundreds"
        assert (10 <= reached < 100) if tens else (100 <= reached < 1000), (rate, reached)


def test_a_rate_above_batch_size_1_s_limit_is_not_said_floorless_where_the_page_s_reshuffled_runs_settle() -> None:
    """Noise-free data at rate 0.5: batch size 1's limit, for batches drawn independently, is 0.434, yet the page's
    runs (a new permutation each epoch) settle at the closed form, every seed tried. The answer says the limit is the
    independent batches' and that a run above it may settle; with replacement it keeps the plain "no floor"."""
    at = open_page(app(noise="0", learning_rate="0.5"), "batch_size")
    said = reveal(at, "batch_size", "floor")
    assert "- B = 1: the rate is above this batch size's limit (0.434) for batches drawn independently" in said, said
    assert "a run above it may still settle" in said and "B = 1: no floor, the rate is above" not in said, said
    problem = problem_of(at)
    one = next(config for config in batch_size_runs({"noise": 0.0, "learning_rate": 0.5}, problem.train.n_rows)
               if config.batch_size == 1)
    for seed in range(4):  # the page's runs at batch size 1, and other seeds, come down to the closed form
        assert epoch_losses(problem, replace(one, seed=seed), 5)[-1] <= max(problem.optimum_loss, TINY), seed
    drawn = reveal(open_page(app(noise="0", learning_rate="0.5", shuffle="replacement"), "batch_size"), "batch_size",
                   "floor")
    assert "- B = 1: no floor, the rate is above this batch size's limit (0.434)" in drawn, drawn
