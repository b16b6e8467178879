"""Issue 19, point 3 in a real browser: the Learning rate page's lesson opens, reveals an answer on demand, and the
answer's number is the stability limit of the data in use."""

from __future__ import annotations

import re

import pytest
from browser_helpers import assert_no_exception, main, settled_boxes, sidebar, to_float, wait_for_app
from playwright.sync_api import Locator, Page, expect

import sgdcore


def expected_limit(batch_size: int) -> float:
    """The limit at ``batch_size`` on the dashboard's default data (1000 synthetic rows, 20% held out)."""
    problem = sgdcore.make_problem(sgdcore.synthetic(1000, [2.0, -3.4], 4.2, 0.01, 0), test_fraction=0.2, seed=0)
    return sgdcore.minibatch_stability_limit(problem.train, batch_size).learning_rate


def show_the_answer(page: Page, lesson: Locator, reveal: str) -> None:
    """Turn on the first question's "Show the answer" toggle once it has stopped moving, and see it turned on.

    The charts above the lesson finish drawing after the run that sent them, and the lesson moves down as they do: a
    click aimed while it moves lands beside the toggle, which stays off (as a person's would, clicking mid-move)."""
    toggle = lesson.locator('[data-testid="stCheckbox"]').filter(has_text=reveal).first
    expect(toggle).to_be_visible()
    settled_boxes(page, toggle)
    toggle.locator("label").click()
    expect(toggle.locator("input")).to_be_checked()  # the click arrived: what follows waits for the answer alone


@pytest.mark.browser
@pytest.mark.parametrize(("lang", "title", "reveal", "words"), [
    ("en", "📘 Lesson: choosing the learning rate", "Show the answer", r"\*?([\d.]+)\*? at batch size 1\b"),
    ("zh-CN", "📘 课程：选择学习率", "显示答案", r"批量大小 1 时为 \*?([\d.]+)"),
])
def test_the_learning_rate_lesson_reveals_the_limit_of_the_data_in_use(open_page, lang: str, title: str, reveal: str,
                                                                       words: str) -> None:
    page = open_page(f"/learning_rate?lang={lang}")
    lesson = main(page).locator('[data-testid="stExpander"]').filter(has_text=title)
    expect(lesson).to_have_count(1)
    answer = lesson.locator('[data-testid="stAlertContentInfo"]')
    expect(answer).to_have_count(0)  # collapsed, and no answer before it is asked for
    lesson.get_by_text(title).click()
    show_the_answer(page, lesson, reveal)
    expect(answer).to_have_count(1)
    wait_for_app(page)
    text = answer.inner_text()
    match = re.search(words, text.replace("**", ""))
    assert match, text
    assert to_float(match.group(1)) == pytest.approx(expected_limit(1), rel=5e-3)
    assert_no_exception(page)


@pytest.mark.browser
def test_an_open_lesson_stays_open_with_its_answer_when_the_language_changes(open_page) -> None:
    """The lesson's title changes with the language, and the expander, known by its title, closed on a switch: the
    reader lost the panel they were reading."""
    page = open_page("/learning_rate?lang=en")
    lesson = main(page).locator('[data-testid="stExpander"]')
    lesson.get_by_text("📘 Lesson: choosing the learning rate").click()
    show_the_answer(page, lesson, "Show the answer")
    expect(lesson.locator('[data-testid="stAlertContentInfo"]')).to_have_count(1)
    wait_for_app(page)
    sidebar(page).get_by_role("combobox", name="Language / 语言").click()
    page.get_by_role("option", name="简体中文").click()
    expect(lesson.get_by_text("📘 课程：选择学习率")).to_be_visible()
    wait_for_app(page)
    answer = lesson.locator('[data-testid="stAlertContentInfo"]')
    expect(answer).to_be_visible()  # still open, its answer shown, now in Chinese
    expect(answer).to_contain_text("批量大小 1 时为")
    assert_no_exception(page)
