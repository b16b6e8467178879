"""The Train page in Chinese in a real browser: opened by a link's ``lang=zh-CN``, and by a browser whose language is
Chinese (no ``lang`` in the link); the Chinese Train button trains, and the Chinese verdict names the epochs set.
Every page on a phone's screen, where many learners open a class's link, in Chinese and in English. A CSV saved
by Excel on a Chinese Windows (GBK or Big5), uploaded and trained on by its Chinese names. The uploader's own words in
Chinese.

``SAVE_SCREENSHOTS=1`` also saves the page, charts drawn, to docs/zh-CN-train.png (the README's picture).
"""

from __future__ import annotations

import codecs
import os
import re
from pathlib import Path

import numpy as np
import pytest
from browser_helpers import (
    TIMEOUT_MS,
    alert,
    assert_no_exception,
    click_nav,
    main,
    read_table,
    scenes_as_svg,
    to_float,
    wait_for_app,
    wait_for_charts,
)
from conftest import VIEWPORT
from playwright.sync_api import Page, expect

from ui.i18n import text_in

DOCS = Path(__file__).resolve().parents[2] / "docs"
SCREENSHOT_SIZE = {"width": 1280, "height": 900}
# The Chinese verdict of a finished run, as the catalogue words it: "完成 4 个迭代周期。320 步，耗时 …"
FINISHED = re.compile(r"^完成 (\d+) 个迭代周期。([\d,]+) 步，")


def train_in_chinese(page: Page, epochs: int) -> str:
    """Press the Chinese Train button and read the Chinese verdict; check its numbers against the run's."""
    assert_no_exception(page)
    expect(page.locator("h1").first).to_have_text(text_in("zh-CN", "train.title"))
    main(page).get_by_role("button", name=text_in("zh-CN", "train.train"), exact=True).click()
    verdict = alert(main(page), "success").filter(has_text=FINISHED)
    expect(verdict).to_have_count(1, timeout=TIMEOUT_MS)
    wait_for_app(page)
    assert_no_exception(page)
    text = verdict.inner_text().strip()
    match = FINISHED.match(text)
    assert match, text
    assert int(match.group(1)) == epochs, text  # the epochs set, as the verdict says them
    steps_per_epoch = 80  # the default data: 800 training rows in minibatches of 10
    assert int(match.group(2).replace(",", "")) == epochs * steps_per_epoch, text
    assert "闭式解" in text, text  # "At the closed form: …", in Chinese
    return text


@pytest.mark.browser
def test_a_link_with_lang_zh_cn_trains_on_the_chinese_train_page(open_page):
    epochs = 4
    page = open_page(f"/?lang=zh-CN&epochs={epochs}")
    train_in_chinese(page, epochs)
    if os.environ.get("SAVE_SCREENSHOTS") == "1":  # the README's picture
        page.set_viewport_size(SCREENSHOT_SIZE)
        try:
            wait_for_charts(page, at_least=4)
            page.wait_for_timeout(300)  # let Vega finish redrawing after the resize (it has no "done" signal)
            DOCS.mkdir(exist_ok=True)
            page.screenshot(path=str(DOCS / "zh-CN-train.png"))
        finally:
            page.set_viewport_size(VIEWPORT)


@pytest.mark.browser
def test_a_chinese_browser_gets_the_chinese_page_without_lang_in_the_link(browser, server):
    epochs = 2
    context = browser.new_context(viewport=VIEWPORT, base_url=server.url, locale="zh-CN")
    try:
        context.set_default_timeout(TIMEOUT_MS)
        page = context.new_page()
        assert page.evaluate("navigator.language") == "zh-CN"
        page.goto(f"/?epochs={epochs}")
        wait_for_app(page)
        train_in_chinese(page, epochs)
    finally:
        context.close()


PHONE = {"width": 390, "height": 844}
# What makes a page wider than a phone's screen, or cuts a chart's words: each element of the main area that reaches
# past the window's edges where no box inside the window clips it (a chart's SVG clips its plot, a table wider than
# the screen scrolls in its own box, a progress bar slides its fill in its track), the page's own width, and the
# texts Vega shortened with "…". Only what is drawn counts: Chromium keeps a closed expander's content laid out at the
# width it last had (the page opens wider, then turns to the phone's), so the test opens every expander, as a
# student taps it, and measures what is then on the screen.
_PHONE_FIT = """() => {
    const inside = box => box.left >= -0.5 && box.right <= window.innerWidth + 0.5;
    const clipped = element => {
        for (let box = element.parentElement; box && box.dataset.testid !== 'stMain'; box = box.parentElement) {
            if (getComputedStyle(box).overflowX !== 'visible' && inside(box.getBoundingClientRect())) return true;
        }
        return false;
    };
    const outside = [];
    for (const element of document.querySelectorAll('[data-testid="stMain"] *')) {
        const box = element.getBoundingClientRect();
        if (box.width > 0 && element.checkVisibility() && !inside(box) && !clipped(element)) {
            const where = element.closest('[data-testid]')?.dataset.testid;
            outside.push(`${element.tagName} in ${where} ${Math.round(box.left)}-${Math.round(box.right)}`);
        }
    }
    const cut = [...document.querySelectorAll('[data-testid="stMain"] .vega-embed .scene-as-svg svg text')]
        .map(text => text.textContent).filter(text => text.includes('…'));
    return {outside: outside.slice(0, 8), pageWidth: document.documentElement.scrollWidth, cut,
            charts: document.querySelectorAll('[data-testid="stMain"] .vega-embed').length};
}"""


def open_every_expander(page: Page) -> None:
    """Open each expander of the main area (the lesson, the chart options, …) by a tap on its title."""
    expanders = main(page).locator("details")
    assert expanders.count() >= 1  # every page has its lesson
    for index in range(expanders.count()):
        expanders.nth(index).locator("summary").click()
        expect(expanders.nth(index)).to_have_attribute("open", "")


@pytest.mark.browser
@pytest.mark.parametrize("language", ["zh-CN", "en"])
def test_a_phone_shows_every_page_within_its_screen_and_trains(open_page, language):
    """A student opens the class's link on a phone, 390 pixels wide: the sidebar is folded away, Train (训练)
    trains, and on every page, its expanders opened, nothing reaches past the screen's edges (a table wider than the
    screen scrolls in its own box) and no chart's words are cut; in English too, whose words are longer."""
    page = open_page(f"/?lang={language}")
    page.set_viewport_size(PHONE)
    expect(page.get_by_test_id("stSidebar")).not_to_be_in_viewport()
    if language == "zh-CN":
        train_in_chinese(page, 3)
    else:
        main(page).get_by_role("button", name="Train", exact=True).click()
        expect(alert(main(page), "success").filter(has_text=re.compile(r"^Finished 3 epochs"))).to_have_count(1)
        wait_for_app(page)
    open_every_expander(page)
    scenes_as_svg(page)  # the charts' words, as their canvases show them
    fit = page.evaluate(_PHONE_FIT)
    assert fit["charts"] == 5 and fit["pageWidth"] <= PHONE["width"], fit
    assert not fit["outside"] and not fit["cut"], fit
    for path, train in (("learning_rate", "learning_rate.train"), ("batch_size", "batch_size.train"),
                        ("momentum", "momentum.train_all_three"), ("data", None), ("export", None)):
        page.goto(f"/{path}?lang={language}")
        wait_for_app(page)
        assert_no_exception(page)
        if train:
            main(page).get_by_role("button", name=text_in(language, train), exact=True).click()
            expect(main(page).get_by_test_id("stTable")).to_be_visible(timeout=TIMEOUT_MS)
            wait_for_app(page)
            assert_no_exception(page)
            wait_for_charts(page, at_least=1)
        open_every_expander(page)
        scenes_as_svg(page)
        fit = page.evaluate(_PHONE_FIT)
        assert fit["pageWidth"] <= PHONE["width"] and not fit["outside"] and not fit["cut"], (path, fit)


# What the uploader draws where Streamlit writes its English words: the button's, the limit's and, while a file is
# dragged over it, the drop zone's (generated content, which Playwright's text queries do not see)
_UPLOADER_WORDS = """() => {
    const drawn = (element) => ({size: getComputedStyle(element).fontSize,
                                 words: getComputedStyle(element, '::after').content});
    const zone = document.querySelector('[data-testid="stFileUploaderDropzone"]');
    const limit = zone.querySelector('[data-testid="stFileUploaderDropzoneInstructions"] span');
    const drop = zone.querySelector(':scope > div:not([data-testid]) > span');
    return {limit: drawn(limit), drop: drop ? drawn(drop) : null};
}"""


@pytest.mark.browser
@pytest.mark.parametrize(("language", "limit", "drop"), [
    ("zh-CN", r'^"每个文件不超过 [\d,]+ MB • CSV、TSV、TXT、XLSX、XLS、ODS"$', '"将文件拖放到这里"'),
    ("en", r'^"[\d,]+ MB per file • CSV, TSV, TXT, XLSX, XLS, ODS"$', '"Drag and drop a file here"'),
], ids=["zh-CN", "en"])
def test_the_uploader_s_own_words_are_in_the_page_s_language(open_page, language, limit, drop):
    """Streamlit's uploader writes "Upload", "500MB per file" and "Drag and drop a file here" in English whatever the
    page's language: on the Chinese page its button is 上传, and its limit and its drop zone read in Chinese, the
    English drawn at no size."""
    page = open_page(f"/data?lang={language}")
    zone = main(page).get_by_test_id("stFileUploaderDropzone")
    expect(zone.get_by_role("button", name=text_in(language, "data.uploader_button"), exact=True)).to_be_visible()
    # The style sheet comes in its own message, which may land after the uploader is drawn. The Chinese button's name
    # waits for it (its words are the sheet's); the English one reads Streamlit's own "Upload" before it lands.
    limit_words = zone.locator('[data-testid="stFileUploaderDropzoneInstructions"] span').first
    expect(limit_words).to_have_css("font-size", "0px")
    drawn = page.evaluate(_UPLOADER_WORDS)
    assert drawn["limit"]["size"] == "0px" and re.match(limit, drawn["limit"]["words"]), drawn
    assert drawn["drop"] is None, drawn  # nothing dragged yet
    dragged = page.evaluate_handle("() => { const dragged = new DataTransfer(); "
                                   "dragged.items.add(new File(['x,y'], 'x.csv')); return dragged; }")
    zone.dispatch_event("dragenter", {"dataTransfer": dragged})
    expect(zone.locator(":scope > div:not([data-testid]) > span")).to_be_visible()
    drawn = page.evaluate(_UPLOADER_WORDS)
    assert drawn["drop"] == {"size": "0px", "words": drop}, drawn
    zone.dispatch_event("dragleave", {"dataTransfer": dragged})
    expect(zone.locator(":scope > div:not([data-testid]) > span")).to_have_count(0)
    assert_no_exception(page)


# Excel's CSV on a Simplified Chinese Windows (GBK) and on a Traditional Chinese one (Taiwan, Hong Kong: Big5)
EXCEL_CHINESE = {
    "gbk": ("房价.csv", ("城市", "面积", "房龄", "价格"), ("北京", "上海", "广州", "深圳"), "gb18030", "chinese"),
    "big5": ("房價.csv", ("城市", "面積", "屋齡", "價格"), ("臺北", "高雄", "臺中", "新竹"), "cp950", "big5"),
}
SAID_IN_CHINESE = {"gb18030": "GBK（GB18030）", "cp950": "Big5"}  # the encoding, as the table's caption names it


@pytest.mark.browser
@pytest.mark.parametrize("saved_in", list(EXCEL_CHINESE))
def test_a_csv_from_a_chinese_excel_trains_with_its_chinese_names(open_page, tmp_path, saved_in):
    """A learner saves a CSV from Excel on a Chinese Windows (named in Chinese, simplified or traditional) and
    uploads it on the Chinese page: its columns read as written, the page says how it was read, the Train page fits
    them by their names, and the coefficients download as a CSV that Excel reads as UTF-8."""
    name, (city, area, age, price), cities, encoding, notice = EXCEL_CHINESE[saved_in]
    rng = np.random.default_rng(11)
    x = rng.normal(size=(200, 2))
    y = x @ np.array([1.5, -2.0]) + 0.5 + rng.normal(scale=0.01, size=200)
    path = tmp_path / name
    lines = [f"{city},{area},{age},{price}", *(f"{town},{a:.6f},{b:.6f},{c:.6f}" for town, (a, b), c in
                                               zip(cities * 50, x, y, strict=True))]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))  # as Excel writes it
    page = open_page("/data?lang=zh-CN&epochs=30&learning_rate=0.1")
    body = main(page)
    body.locator('input[type="file"]').set_input_files(path)
    expect(body.get_by_text(f"{name}：200 行 × 4 列，逗号分隔，{SAID_IN_CHINESE[encoding]}。")).to_be_visible(
        timeout=TIMEOUT_MS)
    garbled = text_in("zh-CN", "data.read_as_garbled", read_as=text_in("zh-CN", "data.read_as"))
    expect(body.get_by_text(text_in("zh-CN", f"messages.notice.{notice}") + garbled, exact=True)).to_be_visible()
    wait_for_app(page)
    body.get_by_role("radiogroup").filter(has_text="删除这些列").get_by_text("删除这些列").click()
    wait_for_app(page)
    body.get_by_role("button", name=text_in("zh-CN", "data.use")).click()
    in_use = f"正在使用 {name}：200 行，2 个特征（{area}、{age}），预测 {price}。"
    expect(alert(body, "success")).to_contain_text(in_use)
    wait_for_app(page)
    assert_no_exception(page)

    click_nav(page, text_in("zh-CN", "nav.title.train"))
    main(page).get_by_role("button", name=text_in("zh-CN", "train.train"), exact=True).click()
    expect(alert(main(page), "success").filter(has_text=FINISHED)).to_have_count(1, timeout=TIMEOUT_MS)
    wait_for_app(page)
    rows = read_table(main(page).get_by_test_id("stTable"))
    assert list(rows)[:2] == [area, age], rows
    for feature, expected in ((area, 1.5), (age, -2.0)):
        assert abs(to_float(rows[feature]["随机梯度下降"]) - expected) <= 0.01, rows[feature]

    click_nav(page, text_in("zh-CN", "nav.title.export"))  # the coefficients, for Excel on the same Windows
    with page.expect_download() as download:
        main(page).get_by_role("button", name=text_in("zh-CN", "export.coefficients_csv")).click()
    saved = Path(download.value.path()).read_bytes()
    assert saved.startswith(codecs.BOM_UTF8), saved[:20]  # without it, Excel reads the file in Windows' code page
    assert saved.decode("utf-8-sig").splitlines()[1].startswith(f"{area},"), saved
