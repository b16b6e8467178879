"""Classroom links (issue #19, point 2): a link with ``show=…`` draws only those controls, fixes the others at the
link's values (which training then uses), says on every page what is fixed, and the Export page makes such links.
No button a student clicks changes a fixed setting: a suggestion that needs one is named, not offered, and the Data
page offers no other data when the link fixes the data source."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import pytest
from streamlit.testing.v1 import AppTest

from tests.shown_texts import shown_texts
from tests.test_app_pages import app, button, no_exceptions, open_page
from tests.test_app_truth import badly_scaled, texts, with_dataset
from tests.test_data_page import rows_csv, upload
from tests.test_lesson_panel import reveal
from ui.classroom import BUILDER_CONTROLS, BUILDER_LANGUAGE, classroom_settings, fixed_controls, shown_controls
from ui.datasets import CSV_KEY
from ui.i18n import catalogue
from ui.settings import BY_KEY, CONTROLS, apply_query_params, value
from ui.widgets import SIDEBAR_CONTROLS, sidebar_controls

WIDGETS = ("number_input", "text_input", "slider", "select_slider", "selectbox", "toggle", "radio", "multiselect")
LESSON = "learning_rate,batch_size"


def sidebar_keys(at: AppTest) -> set[str]:
    """The keys of every widget in the sidebar."""
    return {widget.key for kind in WIDGETS for widget in getattr(at.sidebar, kind) if widget.key}


def notice(at: AppTest) -> str:
    notices = [info.value for info in at.sidebar.info if info.icon == "🎓"]
    assert len(notices) == 1, [info.value for info in at.sidebar.info]
    return notices[0]


def test_a_classroom_link_draws_only_its_controls_in_the_sidebar() -> None:
    at = app(show=LESSON, epochs="7")
    no_exceptions(at)
    assert sidebar_keys(at) == {"lang", "learning_rate", "batch_size"}
    everything = sidebar_keys(app())
    assert {"epochs", "momentum", "data_source", "n_rows", "true_weights", "seed", "standardize"} <= everything


def test_the_fixed_value_of_a_hidden_control_is_the_one_training_uses_and_shown_controls_work() -> None:
    at = app(show=LESSON, epochs="7", momentum="0.5")
    at.sidebar.select_slider(key="learning_rate").set_value(0.05).run()
    at.sidebar.number_input(key="batch_size").set_value(20).run()
    button(at, "Train").click().run()
    no_exceptions(at)
    assert at.success[0].value.startswith("Finished 7 epochs")
    config = at.session_state["train_run"]["config"]
    assert (config.epochs, config.momentum, config.learning_rate, config.batch_size) == (7, 0.5, 0.05, 20)
    # The student's own link (the address bar) keeps the controls shown and carries the student's values
    assert at.query_params["show"] == LESSON
    assert (at.query_params["learning_rate"], at.query_params["batch_size"], at.query_params["epochs"]) == (
        "0.05", "20", "7")


def test_hidden_values_survive_a_change_of_page() -> None:
    at = app(show="learning_rate", epochs="7", n_rows="500")
    for page in ("momentum", "export", "learning_rate", "train"):
        at = open_page(at, page)
        no_exceptions(at)
        assert (at.session_state["epochs"], at.session_state["n_rows"]) == (7, 500), page
        assert sidebar_keys(at) == {"lang", "learning_rate"}, page
        if page == "export":  # the page's share link, the student's own, keeps the list and the values
            share_link = dict(parse_qsl(urlsplit(at.code[0].value).query))
            assert share_link == {"epochs": "7", "n_rows": "500", "show": "learning_rate"}
    button(at, "Train").click().run()
    assert at.success[0].value.startswith("Finished 7 epochs")
    assert at.session_state["train_run"]["progress"].step == 7 * 40  # 400 training rows in batches of 10


def test_every_page_says_what_is_fixed_and_what_may_change_in_its_language() -> None:
    at = app(show=LESSON, epochs="7")
    text = notice(at)
    assert text.startswith("Classroom link: fixed — ")
    assert "Epochs 7" in text and "Momentum μ 0" in text and "Data source Synthetic (D2L)" in text
    assert text.endswith("You may change: Learning rate η; Batch size.")
    at = open_page(at, "momentum")
    assert notice(at) == text
    chinese = app(show=LESSON, epochs="7", lang="zh-CN")
    text = notice(chinese)
    assert text.startswith("课堂链接：已固定——") and "迭代周期数 7" in text
    assert text.endswith("你可以修改：学习率 η；批量大小。")
    assert not [info for info in app().sidebar.info if info.icon == "🎓"]  # an ordinary link says nothing


def test_the_notice_names_the_sidebars_fixed_controls_and_the_pages_settings_the_link_changed() -> None:
    state = {"show": "learning_rate", "learning_rates_compared": "0.5, 1", "schedule": "constant"}
    fixed = fixed_controls(state, sidebar_controls(state))
    assert "learning_rate" not in fixed and {"epochs", "n_rows", "momentum"} <= set(fixed)
    assert "learning_rates_compared" in fixed and "momentum_compared" not in fixed  # at its default: not named
    assert "decay_gamma" not in fixed  # the constant schedule has no decay factor to fix


@pytest.mark.parametrize("params", [{}, {"schedule": "step"}, {"schedule": "exponential"},
                                    {"schedule": "inverse_scaling"}, {"schedule": "cosine"}, {"early_stopping": "1"},
                                    {"data": "diabetes", "schedule": "step", "early_stopping": "1"}])
def test_the_controls_the_notice_counts_are_the_ones_the_sidebar_draws(params: dict[str, str]) -> None:
    # sidebar_controls restates the sidebar's conditions (the data source's controls, a schedule's, early
    # stopping's) without drawing it: the notice's list of fixed controls is true only while the two agree.
    # (With data to train on: a source without any yet, an upload or large data not read, draws its data
    # controls alone, whatever the link fixes.)
    at = app(**params)
    no_exceptions(at)
    drawn = {"true_weights" if key == "_n_features" else key for key in sidebar_keys(at)} - {"lang"}
    assert set(sidebar_controls(at.session_state)) == drawn


def test_the_builder_makes_a_link_that_reproduces_the_classroom() -> None:
    at = app(epochs="7", momentum="0.5")
    at = open_page(at, "export")
    no_exceptions(at)
    assert at.multiselect(key=BUILDER_CONTROLS).value == ["learning_rate", "batch_size"]
    at.multiselect(key=BUILDER_CONTROLS).set_value(["batch_size", "learning_rate", "repeat_seeds"]).run()
    at.selectbox(key=BUILDER_LANGUAGE).set_value("zh-CN").run()
    links = [code.value for code in at.code if "show=" in code.value]
    assert len(links) == 1
    params = dict(parse_qsl(urlsplit(links[0]).query))
    assert params == {"epochs": "7", "momentum": "0.5", "lang": "zh-CN",
                      "show": "learning_rate,batch_size,repeat_seeds"}
    student = app(**params)
    no_exceptions(student)
    assert sidebar_keys(student) == {"lang", "learning_rate", "batch_size"}
    assert "课堂链接" in notice(student) and student.session_state["epochs"] == 7
    # Choosing no control would make a link that shows them all: the builder asks for one instead
    at.multiselect(key=BUILDER_CONTROLS).set_value([]).run()
    assert not [code for code in at.code if "show=" in code.value] and at.info


def test_the_builder_labels_every_control_in_both_languages() -> None:
    for language in ("en", "zh-CN"):
        texts = catalogue(language)
        assert all(f"classroom.control.{key}" in texts for key in CONTROLS), language
    assert set(SIDEBAR_CONTROLS) <= set(CONTROLS)


def test_classroom_settings_keep_the_link_and_drop_the_old_list() -> None:
    state = {"show": "epochs", "lang": "en", "learning_rate": 0.1}
    assert classroom_settings(state, ["momentum", "learning_rate"], "en") == {
        "learning_rate": "0.1", "lang": "en", "show": "learning_rate,momentum"}  # the settings' order


@pytest.mark.parametrize(("language", "words"), [("en", "not among the controls"), ("zh-CN", "不是控件名")])
def test_an_unknown_name_in_a_show_list_is_left_out_and_the_others_keep_the_lock(language: str, words: str) -> None:
    at = app(show="learning_rate,foo", epochs="5", lang=language)
    no_exceptions(at)
    assert sidebar_keys(at) == {"lang", "learning_rate"}  # not every control: the lock holds
    assert at.session_state["show"] == "learning_rate" and at.query_params["show"] == "learning_rate"
    assert at.session_state["epochs"] == 5
    toasts = [toast.value for toast in at.toast]
    assert len(toasts) == 1 and "'foo'" in toasts[0] and words in toasts[0]
    assert "learning_rate, batch_size, epochs" in toasts[0]  # the controls that exist, as a link names them
    assert notice(at).endswith(("You may change: Learning rate η.", "你可以修改：学习率 η。"))
    state: dict = {"lang": language}
    (problem,) = apply_query_params(state, {"show": "learning_rate,foo"})
    assert problem == toasts[0] and state["show"] == "learning_rate"


def test_a_show_list_reads_the_old_short_names_as_every_other_link_setting_does() -> None:
    at = app(show="lr,bs", epochs="5")
    no_exceptions(at)
    assert not at.toast
    assert sidebar_keys(at) == {"lang", "learning_rate", "batch_size"}
    assert at.query_params["show"] == LESSON  # the student's own link writes the new names
    assert BY_KEY["show"].from_text("lr, learning_rate, mom") == "learning_rate,momentum"


@pytest.mark.parametrize(("language", "nothing"), [("en", "You may change: nothing"), ("zh-CN", "你可以修改：无")])
def test_a_show_list_of_unknown_names_alone_fixes_every_setting_and_still_trains(language: str, nothing: str) -> None:
    at = app(show="foo,bar", epochs="5", lang=language)
    no_exceptions(at)
    toasts = [toast.value for toast in at.toast]
    assert len(toasts) == 1 and "'foo', 'bar'" in toasts[0]
    assert sidebar_keys(at) == {"lang"}  # nothing unlocked
    assert at.query_params["show"] == "none"  # and the address bar keeps it so
    assert nothing in notice(at)
    button(at, "Train" if language == "en" else "训练").click().run()
    no_exceptions(at)
    assert at.session_state["train_run"]["config"].epochs == 5
    again = app(show="none")  # the student's link, reopened: the same page, without a message
    assert not again.toast and sidebar_keys(again) == {"lang"}


def test_shown_controls_read_the_list_and_default_to_every_control() -> None:
    assert shown_controls({}) == CONTROLS
    assert shown_controls({"show": LESSON}) == ("learning_rate", "batch_size")
    assert BY_KEY["show"].from_text(" epochs , momentum ") == "epochs,momentum"


# Nothing a student clicks changes a fixed setting


def fixed_settings(at: AppTest) -> dict:
    """Every setting the link fixes, at its value now."""
    state = at.session_state
    return {key: value(state, key) for key in CONTROLS if key not in shown_controls(state)}


def trained(query: dict[str, str], train: bool) -> AppTest:
    at = app(**query)
    if train:
        at.button(key="train_button").click().run()
    no_exceptions(at)
    return at


def messages(at: AppTest) -> list[str]:
    return [element.value for kind in ("warning", "error", "info", "success") for element in getattr(at.main, kind)]


# Links whose warning before a run or verdict after it, on the code before the fix, offered a button that changed a
# setting the link fixes (the setting, what the button set it to)
FIXES_A_HIDDEN_SETTING = [
    dict(learning_rate="0.001", show=LESSON),  # epochs, 58
    dict(data="diabetes", show=LESSON),  # standardisation; epochs, 10,000
    dict(learning_rate="1.35", show="batch_size"),  # near the limit: the learning rate, half of it
    dict(learning_rate="3", show="epochs"),  # above the limit: the learning rate, half of it
    dict(l1_penalty="3", show="learning_rate"),  # the L1 penalty; a schedule whose steps shrink
    dict(schedule="exponential", decay_gamma="0.5", learning_rate="0.01", epochs="30", show="learning_rate"),
    dict(data="diabetes", standardize="1", learning_rate="0.01", early_stopping="1", epochs="200",
         show="learning_rate"),  # epochs; early stopping off
]


@pytest.mark.parametrize("train", [False, True], ids=["before a run", "after it"])
@pytest.mark.parametrize("query", FIXES_A_HIDDEN_SETTING)
def test_no_suggestion_button_changes_a_setting_the_link_fixes_and_the_advice_names_it(
        query: dict[str, str], train: bool) -> None:
    at = trained(query, train)
    for key in [widget.key for widget in at.button if "_suggestion_" in (widget.key or "")]:
        clicked = trained(query, train)
        fixed, label = fixed_settings(clicked), clicked.button(key=key).label
        clicked.button(key=key).click().run()
        no_exceptions(clicked)
        assert fixed_settings(clicked) == fixed, label
    assert any("The classroom link fixes settings that would help: " in text for text in messages(at))


@pytest.mark.parametrize(("language", "rate_button", "epochs_button", "fixed"), [
    ("en", "Use learning rate 0.71", "Use 58 epochs",
     " The classroom link fixes settings that would help: Epochs 3 (58 would help)."),
    ("zh-CN", "使用学习率 0.71", "使用 58 个迭代周期",
     "有帮助的设置已被课堂链接固定：迭代周期数 3（改为 58 会有帮助）。"),
])
def test_a_suggestion_of_a_shown_control_is_offered_and_one_of_a_fixed_setting_is_said(
        language: str, rate_button: str, epochs_button: str, fixed: str) -> None:
    at = app(lang=language, learning_rate="0.001", show=LESSON)  # the tester's link: 3 epochs are too few
    (warning,) = [element.value for element in at.main.warning]
    assert warning.endswith(fixed), warning
    labels = [widget.label for widget in at.button]
    assert rate_button in labels and epochs_button not in labels
    button(at, rate_button).click().run()
    assert (at.session_state["learning_rate"], at.session_state["epochs"]) == (0.71, 3)
    # Without a classroom link, the same advice offers both, as before
    ordinary = app(lang=language, learning_rate="0.001")
    (warning,) = [element.value for element in ordinary.main.warning]
    assert fixed not in warning
    button(ordinary, epochs_button).click().run()
    assert ordinary.session_state["epochs"] == 58


@pytest.mark.parametrize(("language", "standardise_button", "fixed", "helps_standardise"), [
    ("en", "Standardise at learning rate 0.2", "Standardise off (on would help); Epochs 3 (10,000 would help).",
     "standardisation, which takes κ"),
    ("zh-CN", "标准化，学习率 0.2", "标准化 关（改为 开 会有帮助）；迭代周期数 3（改为 10,000 会有帮助）。",
     "标准化，使 κ"),
])
def test_standardisation_fixed_by_the_link_is_named_before_and_after_a_run_not_offered(
        language: str, standardise_button: str, fixed: str, helps_standardise: str) -> None:
    for train in (False, True):
        at = trained(dict(data="diabetes", lang=language, show=LESSON), train)
        (warning,) = [element.value for element in at.main.warning]
        assert warning.endswith(fixed) and helps_standardise not in warning, (train, warning)
        assert standardise_button not in [widget.label for widget in at.button], train
    ordinary = trained(dict(data="diabetes", lang=language), True)
    assert standardise_button in [widget.label for widget in ordinary.button]


def test_a_rate_above_the_limit_of_badly_scaled_data_names_standardisation_as_fixed() -> None:
    at = with_dataset(app(show="learning_rate"), badly_scaled(), "houses.csv")
    (warning,) = [element.value for element in at.main.warning]
    assert warning.endswith(" The classroom link fixes settings that would help: Standardise off (on would help).")
    assert "Turn on standardisation" not in warning
    assert not [widget.label for widget in at.button if widget.label.startswith("Standardise")]
    ordinary = with_dataset(app(), badly_scaled(), "houses.csv")
    assert [widget.label for widget in ordinary.button if widget.label.startswith("Standardise")]


def test_an_l1_penalty_the_link_fixes_is_not_to_be_lowered_by_the_student() -> None:
    at = trained(dict(l1_penalty="3", show="learning_rate"), True)
    (verdict,) = [element.value for element in at.main.warning]
    assert "Lower the L1 penalty" not in verdict and "L1 penalty 3 (1.4 would help)" in verdict
    ordinary = trained(dict(l1_penalty="3"), True)
    (verdict,) = [element.value for element in ordinary.main.warning]
    assert "Lower the L1 penalty, or use a schedule whose steps shrink." in verdict


@pytest.mark.parametrize(("language", "said"), [
    ("en", "The classroom link fixes the data source at Synthetic (D2L): this page cannot change it."),
    ("zh-CN", "课堂链接已把数据源固定为合成数据（D2L）：本页不能更换数据。"),
])
def test_the_data_page_offers_no_other_data_when_the_link_fixes_the_data_source(language: str, said: str) -> None:
    at = open_page(app(lang=language, show=LESSON), "data")
    no_exceptions(at)
    assert not at.file_uploader and not at.main.button and not at.main.radio
    assert said in [element.value for element in at.main.info]
    assert at.session_state["data_source"] == "synthetic"
    assert open_page(app(lang=language), "data").file_uploader  # without the link: as before


def test_a_link_that_fixes_the_uploaded_csv_as_the_source_lets_the_student_upload_it() -> None:
    at = open_page(app(data="csv", show=LESSON), "data")  # the source is fixed, not the file: the student brings it
    assert not at.main.radio  # no large data instead
    at = upload(at, "class.csv", rows_csv())
    button(at, "Use this dataset").click().run()
    no_exceptions(at)
    assert at.session_state["data_source"] == "csv" and at.session_state[CSV_KEY]["name"] == "class.csv"


def test_what_takes_sgd_below_its_noise_floor_names_only_what_the_link_leaves_to_the_student() -> None:
    """The noise floor's verdict and the Train lesson's answer end with the settings that take SGD closer: a link
    that fixes the batch size and the schedule leaves them out, as advice names only values the student can set."""
    at_the_floor = {"noise": "1", "batch_size": "1", "learning_rate": "0.1", "epochs": "10"}
    free, fixed = app(**at_the_floor), app(show="learning_rate", **at_the_floor)
    for at in (free, fixed):
        button(at, "Train").click().run()
        no_exceptions(at)
    (free_verdict,), (fixed_verdict,) = texts(free.main.info), texts(fixed.main.info)
    assert "SGD hovers" in free_verdict and "SGD hovers" in fixed_verdict
    assert "A decaying schedule or a larger batch goes further." in free_verdict
    assert "goes further" not in fixed_verdict  # the link's fixed settings that would help are named instead:
    assert fixed_verdict.endswith("The classroom link fixes settings that would help: Learning-rate schedule Constant "
                                  "(Inverse scaling (η₀ / t^power_t) would help); Batch size 1 (4 would help).")
    # Twenty features at batch size 1: no epoch the answer trains comes within 1 %, and it says why
    above_one_percent = {"true_weights": ",".join(["1"] * 20), "batch_size": "1", "learning_rate": "0.02"}
    free, fixed = app(**above_one_percent), app(show="learning_rate", **above_one_percent)
    assert "(the noise floor). A smaller learning rate, a larger batch or a decaying schedule goes further." \
        in reveal(free, "train", "epochs")
    assert reveal(fixed, "train", "epochs").endswith("(the noise floor). A smaller learning rate goes further.")
    chinese = app(show="learning_rate", lang="zh", **above_one_percent)
    assert "（噪声底）。更小的学习率能更接近。" in reveal(chinese, "train", "epochs")


def test_the_train_lesson_does_not_advise_epochs_that_the_link_fixes() -> None:
    """'Set Epochs to 19 or more' was said to a student whose link fixes the epochs at 3: the answer says the fixed
    epochs stop before that, and names no value to set."""
    free, fixed = app(learning_rate="0.01"), app(show="learning_rate", learning_rate="0.01")
    assert "set Epochs to" in reveal(free, "train", "epochs")
    said = reveal(fixed, "train", "epochs")
    assert "The 3 epochs the classroom link fixes stop before that." in said and "set Epochs" not in said
    assert "课堂链接固定的 3 个迭代周期在此之前就停止了。" in reveal(app(show="learning_rate", learning_rate="0.01",
                                                             lang="zh"), "train", "epochs")


SOONER = ("A larger learning rate (up to 1.4, below the stability limit), momentum or standardising the data gets "
          "there sooner.")
BEYOND = "That is more than the 10,000 epochs the sidebar allows. "
SLOW = "Its steps are too small for the flattest direction. "


@pytest.mark.parametrize(("query", "ends"), [
    ({}, BEYOND + SOONER),
    ({"show": "learning_rate"}, "The 3 epochs the classroom link fixes stop long before that. A larger learning rate "
                                "(up to 1.4, below the stability limit) gets there sooner."),
    ({"show": "epochs,momentum"}, BEYOND + "Momentum gets there sooner."),
    ({"show": "epochs,batch_size"}, BEYOND + "The settings that would get there sooner are fixed by the classroom "
                                             "link: Learning rate η, Momentum μ, Standardise."),
    ({"show": "epochs,momentum", "lang": "zh"}, "这超过了侧边栏允许的 10,000 个迭代周期。动量能更快到达。"),
])
def test_the_train_lessons_many_epochs_name_only_the_levers_the_link_leaves_to_the_student(
        query: dict, ends: str) -> None:
    """Learning rate 1e-5 needs about 10,800 epochs, more than Epochs allows: the answer said "a larger learning rate,
    momentum or standardising the data gets there sooner" also to a student whose link fixes all three."""
    said = reveal(app(learning_rate="0.00001", **query), "train", "epochs")
    assert said.endswith(ends), said


@pytest.mark.parametrize(("query", "ends"), [
    ({}, SLOW + SOONER),
    ({"show": "standardize"}, SLOW + "Standardising the data gets there sooner."),
    ({"show": "none", "lang": "zh"},
     "它的步子对最平坦的方向来说太小了。能更快到达的设置已被课堂链接固定：学习率 η、动量 μ、标准化。"),
])
def test_the_train_lessons_slow_run_names_only_the_levers_the_link_leaves_to_the_student(
        query: dict, ends: str) -> None:
    """At learning rate 1e-6 no epoch an answer trains comes within 1 %: what gets there sooner is what the student
    can set, and a link that fixes it all is said to."""
    said = reveal(app(learning_rate="0.000001", **query), "train", "epochs")
    assert said.endswith(ends), said


def test_levers_already_pulled_are_not_named() -> None:
    """Standardised data is not standardised again, and momentum already on is said as more of it."""
    said = reveal(app(learning_rate="0.000001", standardize="true", momentum="0.1"), "train", "epochs")
    assert SLOW + "A larger learning rate (up to " in said and "standardising" not in said
    assert said.endswith(", below the stability limit) or more momentum gets there sooner."), said


@pytest.mark.parametrize(("page", "question", "query", "said", "unsaid"), [
    ("batch_size", "race", {"weight_decay": "0.5"},
     "Weight decay 0.5, which the classroom link fixes, moves the optimum SGD heads for to the penalised optimum, "
     "whose own loss is 18,065× the closed-form loss: no learning rate, batch size or schedule brings the loss within "
     "10%.",
     "or less does"),
    ("batch_size", "race", {"weight_decay": "0.5", "lang": "zh"},
     "课堂链接固定的权重衰减 0.5 使随机梯度下降趋向带惩罚的最优解，它自身的损失就是闭式解损失的 18,065 倍："
     "任何学习率、批量大小或学习率调度都无法让损失进入 10% 以内。", "不超过"),
    ("batch_size", "race", {"weight_decay": "0.5", "l1_penalty": "0.1", "show": "learning_rate,batch_size,l1_penalty"},
     "no learning rate, batch size or schedule brings the loss within 10%. The classroom link fixes Weight decay (L2) "
     "0.5.", "Smaller penalties do"),
    ("train", "epochs", {"weight_decay": "0.5"},
     "(the noise floor). At the weight decay the classroom link fixes, no learning rate, batch size or schedule brings "
     "it within 1%.", "or less does"),
])
def test_a_penalty_the_link_fixes_that_keeps_every_run_out_of_reach_is_said_to_not_advised_lower(
        page: str, question: str, query: dict, said: str, unsaid: str) -> None:
    """With weight decay 0.5 the Batch size lesson's race says no batch size gets within 10% and "Weight decay 0.00078
    or less does", and the Train lesson "weight decay … or less does" too: also on a classroom link that fixes the
    weight decay, whose student cannot set it. There the answer says that the weight decay the link fixes keeps every
    run above, and names no value to set; with both penalties, which of them the link fixes."""
    at = open_page(app(learning_rate="0.1", **{"show": "learning_rate,batch_size", **query}), page)
    text = reveal(at, page, question)
    assert said in text and unsaid not in text, text


@pytest.mark.parametrize(("language", "upload_one", "other_source"), [
    ("en", "No CSV is loaded yet: upload one on the Data page", "choose another data source"),
    ("zh-CN", "还没有载入 CSV：请在“数据”页面上传一个", "选择其他数据来源"),
])
def test_before_an_upload_a_link_that_fixes_the_csv_source_does_not_offer_another_source(
        language: str, upload_one: str, other_source: str) -> None:
    fixed = open_page(app(lang=language, data_source="csv", show=LESSON), "train")
    no_exceptions(fixed)
    said = [text for text in shown_texts(fixed) if text.startswith(upload_one)]
    assert said and not [text for text in said if other_source in text], said
    free = open_page(app(lang=language, data_source="csv"), "train")  # the student may choose: the other is offered
    assert [text for text in shown_texts(free) if text.startswith(upload_one) and other_source in text]
