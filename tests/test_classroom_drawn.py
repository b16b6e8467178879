"""What a classroom link's texts name is what the link draws: the notice's "You may change", the lessons' "Try:" and
their answers name only controls the student sees on that link, or say that the link fixes them (the project's rule:
advice names only values the UI can set; on a classroom link, only the settings the link leaves to the student)."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

import sgdcore
from tests.test_app_pages import app, no_exceptions, open_page
from tests.test_classroom import notice
from tests.test_lesson_panel import number_after, reveal
from ui.classroom import BUILDER_CONTROLS
from ui.settings import CONTROLS

WIDGETS = ("number_input", "text_input", "slider", "select_slider", "selectbox", "toggle", "radio", "multiselect")


def drawn_keys(at: AppTest) -> set[str]:
    """The settings whose widgets the page draws, in the sidebar and on the page."""
    return {widget.key for kind in WIDGETS for widget in getattr(at, kind) if widget.key in CONTROLS}


@pytest.mark.parametrize(("query", "english", "chinese"), [
    ({"show": "learning_rate,decay_gamma"}, "You may change: Learning rate η.", "你可以修改：学习率 η。"),
    ({"show": "decay_gamma"}, "You may change: nothing, as the controls the link names are not drawn",
     "你可以修改：无，因为在链接固定的设置下"),
    ({"show": "learning_rate,tol"}, "You may change: Learning rate η.", "你可以修改：学习率 η。"),
    ({"show": "schedule,decay_gamma"}, "You may change: Learning-rate schedule; Decay factor γ.",
     "你可以修改：学习率调度；衰减因子 γ。"),
    ({"show": "decay_gamma", "schedule": "step"}, "You may change: Decay factor γ.", "你可以修改：衰减因子 γ。"),
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


@pytest.mark.parametrize(("lang", "words"), [
    ("en", "Decay factor γ: drawn only for a learning-rate schedule that uses them, and this link fixes Learning-rate "
           "schedule at Constant"),
    ("zh-CN", "衰减因子 γ：只在用到它们的学习率调度下显示，而这个链接把学习率调度固定为常数"),
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
