"""The dashboard in two languages: the catalogues agree, every key the code asks for exists, and under
``lang=zh-CN`` no page shows an English sentence of ours."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from tests.shown_texts import english, shown_texts
from tests.test_app_pages import app, no_exceptions, open_page
from ui.i18n import LANGUAGES, catalogue, initial_language, language_of_locale, text_in

ROOT = Path(__file__).resolve().parents[1]
# t("key"), tn("key", …), labels("prefix"): the keys the code names literally
KEY_USE = re.compile(r"""\b(t|tn|text_in\([^,]+,)\(\s*["']([a-z_][a-z0-9_.]*)["']""")
LABELS_USE = re.compile(r"""\blabels\(\s*["']([a-z_][a-z0-9_.]*)["']""")


def placeholders(template: str) -> list[tuple[str, str]]:
    """A template's fields with their format specifications, in order: what both languages must share."""
    return sorted((name, spec or "") for _, name, spec, _ in string.Formatter().parse(template) if name is not None)


def test_both_catalogues_have_the_same_keys_and_placeholders() -> None:
    english_texts, chinese = catalogue("en"), catalogue("zh-CN")
    assert english_texts, "the English catalogue is empty"
    assert set(english_texts) == set(chinese), {"only in en": sorted(set(english_texts) - set(chinese)),
                                                "only in zh-CN": sorted(set(chinese) - set(english_texts))}
    different = {key: (placeholders(english_texts[key]), placeholders(chinese[key]))
                 for key in english_texts if placeholders(english_texts[key]) != placeholders(chinese[key])}
    assert not different


def test_every_plural_has_both_forms_and_every_text_is_a_string() -> None:
    for language in LANGUAGES:
        texts = catalogue(language)
        assert all(isinstance(text, str) and text for text in texts.values()), language
        for key in texts:
            if key.endswith((".one", ".other")):
                stem = key.rsplit(".", 1)[0]
                assert {f"{stem}.one", f"{stem}.other"} <= set(texts), key


def test_every_key_the_code_names_is_in_the_catalogue() -> None:
    keys = set(catalogue("en"))
    missing = []
    for path in [ROOT / "dashboard.py", *sorted((ROOT / "ui").glob("*.py")), *sorted((ROOT / "pages").glob("*.py"))]:
        source = path.read_text(encoding="utf-8")
        for function, key in KEY_USE.findall(source):
            wanted = {f"{key}.one", f"{key}.other"} if function == "tn" else {key}
            missing += [f"{path.name}: {name}" for name in wanted if name not in keys]
        missing += [f"{path.name}: {prefix}.*" for prefix in LABELS_USE.findall(source)
                    if not any(name.startswith(f"{prefix}.") for name in keys)]
    assert not missing


# A Han character beside Latin letters or digits, in a template's own words; and beside a field that holds a file's
# name or the data's description, which starts with the file's name (other fields, such as "name" for a delimiter's
# or "target" for the optimum's, often hold Chinese words, which take no space)
HAN = "\u4e00-\u9fff"
HAN_TOUCHES_LATIN = re.compile(f"[{HAN}][A-Za-z0-9]|[A-Za-z0-9][{HAN}]")
LATIN_FIELDS = ("file", "description")
FIELD = f"\\{{(?:{'|'.join(LATIN_FIELDS)})(?::[^}}]*)?}}"
HAN_TOUCHES_FIELD = re.compile(f"[{HAN}]{FIELD}|{FIELD}[{HAN}]")


def test_chinese_puts_a_space_between_han_and_latin_words_numbers_and_file_names() -> None:
    """As most of the catalogue does: "正在使用 housing_zh.csv", not "仍在使用housing_zh.csv"."""
    touching = {}
    for key, template in catalogue("zh-CN").items():
        words = re.sub(r"\{[^}]*\}", " ", template.replace("\n", " "))
        found = HAN_TOUCHES_LATIN.findall(words) + HAN_TOUCHES_FIELD.findall(template)
        if found:
            touching[key] = found
    assert not touching, touching


def test_chinese_uses_the_terms_of_d2l() -> None:
    chinese = "\n".join(catalogue("zh-CN").values())
    for term in ("学习率", "批量大小", "迭代周期", "小批量随机梯度下降", "动量", "发散", "条件数", "闭式解"):
        assert term in chinese, term
    # One word for each idea: oscillation is 振荡 (the verdicts' and D2L's), never 震荡 (a shaking)
    assert "震荡" not in chinese and "振荡" in chinese


@pytest.mark.parametrize(("locale", "language"), [
    ("zh-CN", "zh-CN"), ("zh-Hans-SG", "zh-CN"), ("zh-TW", "zh-CN"), ("en-US", "en"), ("fr-FR", "en"), (None, "en"),
])
def test_the_browser_language_picks_the_catalogue(locale: str | None, language: str) -> None:
    assert language_of_locale(locale) == language
    assert initial_language("en", locale) == "en"  # a link's lang wins over the browser's
    assert initial_language("xx", locale) == language  # a link's unknown lang is ignored


def test_a_links_lang_is_read_as_people_type_it_and_written_as_the_catalogues_name() -> None:
    """``lang=zh`` was refused ("not one of en, zh-CN; using en instead"), as were zh-cn, zh_CN and en-GB."""
    from ui.settings import apply_query_params, query_params

    for typed, language in (("zh", "zh-CN"), ("zh-cn", "zh-CN"), ("zh_CN", "zh-CN"), ("ZH-CN", "zh-CN"),
                            ("zh-Hans", "zh-CN"), ("en-US", "en"), ("en_GB", "en"), ("EN", "en")):
        assert initial_language(typed, "fr-FR") == language, typed
        state: dict = {}
        assert apply_query_params(state, {"lang": typed}) == [], typed  # taken, with no "using en instead"
        assert state == {"lang": language}
        assert query_params(state) == ({} if language == "en" else {"lang": "zh-CN"})
    # Another language is still refused, naming the two.
    state = {}
    (problem,) = apply_query_params(state, {"lang": "fr"})
    assert "'fr'" in problem and "en, zh-CN" in problem and state == {}


def test_numbers_read_the_same_in_both_languages() -> None:
    for key, template in catalogue("en").items():
        fields = {name: 1234567.5 for name, _ in placeholders(template)}
        try:
            english_text = text_in("en", key, **fields)
        except (ValueError, TypeError, KeyError, IndexError):
            continue  # a field that is not a number: the placeholder test covers its format
        # Each field's number as the English writes it (read from the fields: numbers written side by side, or
        # followed by a sentence's full stop, would run together in the text)
        for name, spec in placeholders(template):
            number = format(fields[name], spec)
            if len(number) >= 4 and number in english_text:
                assert number in text_in("zh-CN", key, **fields), (key, number)


PAGES = ["train", "learning_rate", "batch_size", "momentum", "data", "export"]


def english_left(at) -> dict[str, list[str]]:
    return {text[:120]: words for text in shown_texts(at) if (words := english(text))}


@pytest.mark.parametrize("page", PAGES)
def test_a_chinese_page_shows_no_english_sentence_of_ours(page: str) -> None:
    # As a student would go through it: open the page, press its (primary) button to train, open every answer of
    # the lesson. Each step draws texts the step before did not.
    at = app(lang="zh-CN")
    if page != "train":
        at = open_page(at, page)
    assert not english_left(at)
    if page in ("train", "learning_rate", "batch_size", "momentum"):
        next(b for b in at.button if b.proto.type == "primary").click().run()
        no_exceptions(at)
        assert not english_left(at)
    for toggle in [toggle for toggle in at.toggle if str(toggle.key).startswith("lesson_")]:
        toggle.set_value(True)
    at.run()
    no_exceptions(at)
    assert not english_left(at)


@pytest.mark.parametrize(("lang", "said"), [("en", "Paused at step 1,234,"), ("zh-CN", "已暂停于第 1,234 步")])
def test_step_numbers_are_written_with_thousands_separators_as_the_speed_beside_them_is(
        monkeypatch: pytest.MonkeyPatch, lang: str, said: str) -> None:
    """"已在第 9760000 步停止……9,760,000 步" wrote one number two ways in one sentence."""
    import sgdcore
    from ui import verdicts

    monkeypatch.setattr("ui.i18n.language", lambda: lang)
    runs = sgdcore.train(sgdcore.synthetic(n=1000, seed=0), sgdcore.TrainConfig(epochs=20, backend="numpy"),
                         until_step=1234)
    *_, paused = runs
    assert paused.step == 1234 and said in verdicts.paused_text(paused)


def test_the_classroom_notice_and_the_sidebar_word_automatic_threads_and_sgdregressor_s_names_in_chinese(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from ui import classroom

    monkeypatch.setattr("ui.i18n.language", lambda: "zh-CN")
    assert classroom.value_text("n_threads", "auto") == "自动"
    assert classroom.control_label("power_t") == "幂指数（power_t）" and classroom.control_label("tol") == "容差（tol）"
    at = open_page(app(lang="zh-CN", schedule="inverse_scaling", early_stopping="1"), "train")
    labels = {widget.label for widget in (*at.slider, *at.number_input)}
    assert {"幂指数（power_t）", "容差（tol）"} <= labels, labels


def test_chinese_writes_the_full_batch_in_words_and_the_typed_full_as_code() -> None:
    """The Batch size lesson's Chinese Try read "用批量大小 1、10、100、full 按下…": a bare English word in a Chinese
    sentence. Where the Chinese texts name what a student types, ``full``, it is marked as code or quoted."""
    bare = re.compile(r"(?<![`'\w{])full(?![`'\w])")
    assert not [key for key, text in catalogue("zh-CN").items() if bare.search(text)]
