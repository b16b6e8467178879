"""The Data page in a real browser: upload a CSV and train on it everywhere, or see what is wrong with it."""

from __future__ import annotations

import re
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from browser_helpers import (
    alert,
    assert_no_exception,
    click_nav,
    errors,
    main,
    read_table,
    sidebar,
    to_float,
    wait_for_app,
)
from playwright.sync_api import expect

from ui.i18n import text_in

WEIGHTS, BIAS = (1.5, -2.0), 0.5
# Enough steps for SGD to reach the closed form on 160 training rows (the default 3 epochs at 0.03 do not).
TRAIN_SETTINGS = "?epochs=30&learning_rate=0.1"


@pytest.fixture
def good_csv(tmp_path: Path) -> Path:
    rng = np.random.default_rng(7)
    x = rng.normal(size=(200, 2))
    y = x @ np.array(WEIGHTS) + BIAS + rng.normal(scale=0.01, size=200)
    path = tmp_path / "good_data.csv"
    lines = ["x1,x2,y", *(f"{a:.6f},{b:.6f},{c:.6f}" for (a, b), c in zip(x, y, strict=True))]
    path.write_text("\n".join(lines) + "\n")
    return path


def upload(page, path: Path) -> None:
    """Upload a file on the Data page and wait until the page shows either the table read or an error."""
    body = main(page)
    body.locator('input[type="file"]').set_input_files(path)
    expect(body.get_by_role("region", name=text_in("en", "data.uploader"))).to_contain_text(path.name)
    read = body.get_by_text(re.compile(rf"^{re.escape(path.name)}: [\d,]+ rows × \d+ columns"))
    failed = alert(body, "error").filter(has_text=path.name)
    expect(read.or_(failed)).to_be_visible()
    wait_for_app(page)


def use_uploaded(page, path: Path) -> None:
    """Upload a good file on the Data page, check what the page shows, and make it the data in use."""
    upload(page, path)
    body = main(page)
    expect(body.get_by_role("tab", name="Preview")).to_be_visible()
    expect(body.get_by_role("tab", name="Column summary")).to_be_visible()
    expect(body.locator('[data-testid="stDataFrame"]').first).to_be_visible()
    expect(body.get_by_role("combobox", name="Target column")).to_have_value("y")
    features = body.locator('[data-testid="stMultiSelect"]').filter(has_text="Feature columns")
    expect(features).to_contain_text("x1")
    expect(features).to_contain_text("x2")
    assert errors(body) == []

    body.get_by_role("button", name="Use this dataset").click()
    success = alert(body, "success")
    expect(success).to_contain_text(re.compile(rf"^Using {re.escape(path.name)}"))
    wait_for_app(page)
    print(f"\nData page: {success.inner_text().strip()}")
    expect(sidebar(page).get_by_role("radio", name="Uploaded file")).to_be_checked()
    assert_no_exception(page)


def train_and_read(page) -> dict[str, dict[str, str]]:
    """On the Train page: press Train, wait for 'Finished', return the coefficient table."""
    page.get_by_role("button", name="Train", exact=True).click()
    expect(alert(main(page), "success")).to_contain_text(re.compile("^Finished"))
    wait_for_app(page)
    assert_no_exception(page)
    return read_table(main(page).locator('[data-testid="stTable"]'))


def assert_fits_upload(rows: dict[str, dict[str, str]]) -> None:
    """The table is about the uploaded file: its columns, no truth column, and its coefficients."""
    names = list(rows)
    assert names[:2] == ["x1", "x2"] and names[2] in ("b", "bias") and len(names) == 3, rows
    assert "truth" not in rows["x1"], rows  # synthetic data would have one
    for name, expected in zip(names, (*WEIGHTS, BIAS), strict=True):
        sgd, closed_form = to_float(rows[name]["SGD"]), to_float(rows[name]["closed form"])
        assert abs(sgd - closed_form) <= 0.01, (name, rows[name])
        assert abs(closed_form - expected) <= 0.01, (name, rows[name])


@pytest.mark.browser
def test_upload_good_csv_and_train_on_it(open_page, good_csv):
    page = open_page("/data" + TRAIN_SETTINGS)
    assert_no_exception(page)
    use_uploaded(page, good_csv)

    click_nav(page, "Train")
    assert "epochs=30" in page.url and "learning_rate=0.1" in page.url and "data_source=csv" in page.url, page.url
    expect(main(page).get_by_text(re.compile(rf"^Ready: {re.escape(good_csv.name)} \(200 rows, 2 features\)"))
           ).to_be_visible()
    assert_fits_upload(train_and_read(page))
    # The run as code, which reads the rows beside it. The synthetic data's settings are not drawn while a CSV is
    # in use; the page once crashed on the data seed a Train click had made Streamlit forget.
    click_nav(page, "Export and share")
    assert_no_exception(page)
    script = main(page).locator('[data-testid="stCode"]').filter(has_text='"""The last run')
    expect(script).to_contain_text("np.load('data.npz')")
    expect(script).to_contain_text("sgdcore.make_problem(data, standardize=False, test_fraction=0.2, seed=0)")
    # The rows it reads, and the run's history, made when they are downloaded (not at each run of the page)
    with page.expect_download() as download:
        main(page).get_by_role("button", name="The rows it reads (data.npz)").click()
    assert download.value.suggested_filename == "data.npz"
    arrays, uploaded = np.load(download.value.path()), pd.read_csv(good_csv)
    np.testing.assert_array_equal(arrays["X"], uploaded[["x1", "x2"]].to_numpy())
    np.testing.assert_array_equal(arrays["y"], uploaded["y"].to_numpy())
    with page.expect_download() as download:
        main(page).get_by_role("button", name="Loss and parameters by step (CSV)").click()
    steps = pd.read_csv(download.value.path())
    # The start, then 30 epochs of 16 steps (160 training rows, batch size 10)
    assert steps["step"].tolist() == list(range(30 * 16 + 1)) and {"x1", "x2"} <= set(steps.columns), steps.columns


@pytest.mark.browser
def test_upload_header_only_csv_shows_error_and_keeps_data(open_page, tmp_path):
    header_only = tmp_path / "header_only.csv"
    header_only.write_text("x1,x2,y\n")
    page = open_page("/data")
    upload(page, header_only)
    shown = errors(main(page))
    print(f"\nheader-only CSV: {shown}")
    assert len(shown) == 1, shown
    assert re.search(r"header|no data rows", shown[0], flags=re.IGNORECASE), shown
    assert_no_exception(page)
    expect(main(page).get_by_role("button", name="Use this dataset")).to_have_count(0)
    expect(sidebar(page).get_by_role("radio", name=re.compile("^Synthetic"))).to_be_checked()

    click_nav(page, "Train")
    rows = train_and_read(page)
    assert [to_float(row["truth"]) for row in rows.values()] == [2.0, -3.4, 4.2]  # still D2L's synthetic data


@pytest.mark.browser
@pytest.mark.parametrize(("language", "name", "content", "kind"), [
    ("en", "slides.pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "pdf"),
], ids=["en-pdf"])
def test_a_file_that_is_not_a_table_is_taken_and_said_what_it_is_in_the_page_s_language(
        open_page, tmp_path, language, name, content, kind):
    """A file that is neither a CSV nor a workbook, a PDF: the uploader takes any file, where its own refusal of a
    type was a red mark with no words, and the page says, in its language, what the file is and what to upload
    instead. The data in use stays."""
    path = tmp_path / name
    path.write_bytes(content)
    page = open_page(f"/data?lang={language}")
    body = main(page)
    body.locator('input[type="file"]').set_input_files(path)
    said = text_in(language, "messages.file_error", file=name, error=text_in(
        language, "messages.not_text", kind=text_in(language, f"messages.file_kind.{kind}")))
    expect(alert(body, "error")).to_have_text(said)
    synthetic = text_in(language, "settings.data_source.synthetic")
    expect(sidebar(page).get_by_role("radio", name=synthetic, exact=True)).to_be_checked()  # still the data in use
    assert_no_exception(page)


# A learner's workbook as Excel saves it: a sheet of notes first, then the table under a title row
WORKBOOK_NOTE = "数据来自 2024 年的房屋成交记录。"
WORKBOOK_TITLE = "2024 房价统计"
WORKBOOK_COLUMNS = ("面积", "房龄", "价格")
WORKBOOK_FIT = (3.0, -1.0, 1.0)  # 价格 = 3·面积 − 房龄 + 1, exactly


def house_prices_workbook(path: Path) -> Path:
    """``path``: a workbook whose first sheet, 说明, holds one note, and whose second, 房价, holds a title row, a
    header and 30 rows of numbers that a plane fits exactly (no other cells)."""
    from openpyxl import Workbook

    x = np.random.default_rng(0).normal(size=(30, 2))
    (area_weight, age_weight), bias = WORKBOOK_FIT[:2], WORKBOOK_FIT[2]
    book = Workbook()
    notes = book.active
    notes.title = "说明"
    notes["A1"] = WORKBOOK_NOTE
    prices = book.create_sheet("房价")
    prices.append([WORKBOOK_TITLE])
    prices.append(list(WORKBOOK_COLUMNS))
    for area, age in x:
        prices.append([float(area), float(age), float(area_weight * area + age_weight * age + bias)])
    book.save(path)
    return path


@pytest.mark.browser
@pytest.mark.parametrize("language", ["zh-CN", "en"])
def test_a_workbook_s_table_is_read_from_its_sheet_past_its_notes_and_trains(open_page, tmp_path, language):
    """A learner uploads the workbook itself (房价.xlsx): the page reads the sheet that holds the table, not the notes
    before it, skips the title row above its header and says so, and offers the other sheet under "Sheet". Chosen,
    the notes sheet is refused for having no data rows and the data in use stays; the table chosen again is put in use
    and the Train page fits it at the closed form, 3, −1 and 1."""
    path = house_prices_workbook(tmp_path / "房价.xlsx")
    say = partial(text_in, language)
    page = open_page(f"/data?lang={language}&epochs=300&learning_rate=0.1")  # 24 training rows: 3 steps an epoch
    body = main(page)
    body.locator('input[type="file"]').set_input_files(path)
    rows, columns = say("data.rows.other", count=30), say("data.columns.other", count=3)
    caption = say("data.table_sheet", name=path.name, rows=rows, columns=columns, sheet="'房价'").replace("**", "")
    expect(body.get_by_text(caption, exact=True)).to_be_visible()
    wait_for_app(page)
    sheet = body.get_by_role("combobox", name=say("data.sheet"))
    expect(sheet).to_have_value("房价")
    titles = say("messages.notice.title_rows", rows=1, header_row=2, titles=f"'{WORKBOOK_TITLE}'")
    expect(body.get_by_text(titles, exact=True)).to_be_visible()
    others = say("messages.notice.other_sheets", sheet="'房价'", others="'说明'")
    expect(body.get_by_text(others + say("data.sheet_choose", sheet=say("data.sheet")), exact=True)).to_be_visible()
    assert errors(body) == []
    use = body.get_by_role("button", name=say("data.use"))
    expect(use).to_be_visible()

    sheet.click()
    page.get_by_role("option", name="说明", exact=True).click()
    no_rows = say("messages.file_error", file=path.name,
                  error=say("messages.no_data_rows", columns=f"'{WORKBOOK_NOTE}'"))
    expect(alert(body, "error")).to_have_text(no_rows)
    wait_for_app(page)
    expect(sheet).to_have_value("说明")
    expect(use).to_have_count(0)
    synthetic = say("settings.data_source.synthetic")
    expect(sidebar(page).get_by_role("radio", name=synthetic, exact=True)).to_be_checked()  # still the data in use
    assert_no_exception(page)

    sheet.click()
    page.get_by_role("option", name="房价", exact=True).click()
    expect(body.get_by_text(caption, exact=True)).to_be_visible()
    wait_for_app(page)
    expect(sheet).to_have_value("房价")
    assert errors(body) == []
    use.click()
    area, age, price = WORKBOOK_COLUMNS
    using = say("data.using", name=path.name, rows=rows, features=say("data.features.other", count=2),
                names=say("messages.glue.separator").join((area, age)), target=price)
    expect(alert(body, "success")).to_have_text(using)
    wait_for_app(page)
    expect(sidebar(page).get_by_role("radio", name=say("settings.data_source.csv"), exact=True)).to_be_checked()
    assert_no_exception(page)

    click_nav(page, say("nav.title.train"))
    main(page).get_by_role("button", name=say("train.train"), exact=True).click()
    finished = re.compile("^" + re.escape(say("verdicts.finished").split("{")[0]))  # "Finished …", "完成 …"
    expect(alert(main(page), "success").filter(has_text=finished)).to_have_count(1)
    wait_for_app(page)
    assert_no_exception(page)
    table = read_table(main(page).get_by_test_id("stTable"))
    assert list(table)[:2] == [area, age] and len(table) == 3, table
    sgd_column, closed_form_column = say("train.column.sgd"), say("train.column.closed_form")
    for (name, row), expected in zip(table.items(), WORKBOOK_FIT, strict=True):
        closed_form, sgd = to_float(row[closed_form_column]), to_float(row[sgd_column])
        assert abs(closed_form - expected) <= 1e-6, (name, row)
        assert abs(sgd - closed_form) <= 0.01, (name, row)


@pytest.mark.browser
@pytest.mark.parametrize("language", ["zh-CN", "en"])
def test_a_file_over_the_limit_that_the_browser_keeps_back_is_said_to_be_so(open_page, tmp_path, language):
    """The browser itself keeps back a file over the uploader's limit, which the server never sees, and Streamlit
    only marks it red, its reason in English on hover: the page says under it, in its language, that it was not
    uploaded and what the limit is."""
    page = open_page(f"/data?lang={language}")
    expect(main(page).get_by_test_id("stFileUploaderDropzoneInstructions")).to_be_visible()
    # The page's words come in a style sheet that Streamlit sends apart from the uploader, and may draw after it.
    said = page.wait_for_function("""() => {
        const words = getComputedStyle(document.querySelector(
            '[data-testid="stFileUploaderDropzoneInstructions"] span'), '::after').content;
        return / MB/.test(words) && words;
    }""").json_value()
    limit_mb = int(re.search(r"([\d,]+) MB", said).group(1).replace(",", ""))
    path = tmp_path / "too_large.csv"
    with path.open("wb") as file:  # sparse: the browser reads its size, not its bytes
        file.truncate((limit_mb + 1) * 1024 * 1024)
    main(page).locator('input[type="file"]').set_input_files(path)
    chips = main(page).get_by_test_id("stFileChips")
    expect(chips.get_by_test_id("stFileChip")).to_have_attribute("aria-invalid", "true")
    refused = page.evaluate("""() => getComputedStyle(document.querySelector(
        '[data-testid="stFileChips"]'), '::after').content""")
    assert refused == '"' + text_in(language, "data.uploader_refused", limit=limit_mb) + '"', refused
    expect(main(page).get_by_text(text_in(language, "data.no_file"))).to_be_visible()  # nothing came to the server
    assert_no_exception(page)


@pytest.mark.browser
def test_upload_text_target_shows_error_and_keeps_previous_upload(open_page, good_csv, tmp_path):
    text_target = tmp_path / "text_target.csv"
    text_target.write_text("x1,x2,y\n1,2,low\n2,3,high\n3,1,low\n4,4,high\n")
    page = open_page("/data" + TRAIN_SETTINGS)
    use_uploaded(page, good_csv)

    upload(page, text_target)
    shown = errors(main(page))
    print(f"\ntext-target CSV: {shown}")
    assert len(shown) == 1, shown
    assert re.search(r"not numeric|non-numeric", shown[0], flags=re.IGNORECASE), shown
    assert "y" in re.findall(r"\w+", shown[0]), shown  # names the column
    assert_no_exception(page)
    expect(main(page).get_by_role("button", name="Use this dataset")).to_have_count(0)
    expect(sidebar(page).get_by_role("radio", name="Uploaded file")).to_be_checked()

    click_nav(page, "Train")
    expect(main(page).get_by_text(re.compile(rf"^Ready: {re.escape(good_csv.name)}"))).to_be_visible()
    assert_fits_upload(train_and_read(page))


@pytest.mark.browser
def test_upload_old_mac_csv_whose_lines_end_in_carriage_returns(open_page, good_csv, tmp_path):
    # Excel for Mac's "CSV (Macintosh)" ends lines in a carriage return alone: the
    # reader's sample of the head must end at such a line end too, or the whole file is one header line.
    mac_csv = tmp_path / "mac_excel.csv"
    mac_csv.write_bytes(good_csv.read_bytes().replace(b"\n", b"\r"))
    page = open_page("/data" + TRAIN_SETTINGS)
    use_uploaded(page, mac_csv)
    expect(main(page).get_by_text(re.compile(r"^mac_excel\.csv: 200 rows × 3 columns"))).to_be_visible()

    click_nav(page, "Train")
    assert_fits_upload(train_and_read(page))


@pytest.mark.browser
def test_a_short_big5_file_read_as_gbk_is_read_again_as_big5_when_chosen(open_page, tmp_path):
    """高雄 alone, saved in Big5, is two common GBK characters too, and the bytes choose GBK: a person who sees the
    garbled name chooses Big5 under "Read the file as", and the column reads as written and is put in use."""
    path = tmp_path / "city.csv"
    path.write_bytes(("高雄,y\r\n" + "".join(f"{i},{2 * i + 1}\r\n" for i in range(40))).encode("cp950"))
    page = open_page("/data")
    upload(page, path)
    body = main(page)
    target = body.get_by_role("combobox", name="Target column")
    read_as = "city.csv: 40 rows × 2 columns, comma-separated, {}."
    expect(body.get_by_text(read_as.format("GBK (GB18030)"), exact=True)).to_be_visible()
    garbled = ("Read as Chinese, GBK (GB18030): the file is not UTF-8. If its text looks garbled, save it again as "
               "UTF-8 (in Excel: CSV UTF-8) and upload it again. Or choose the encoding it was saved in under “Read "
               "the file as”, above.")
    expect(body.get_by_text(garbled, exact=True)).to_be_visible()
    body.get_by_role("combobox", name="Read the file as").click()
    page.get_by_role("option", name="Traditional Chinese, Big5").click()
    expect(body.get_by_text(read_as.format("Big5"), exact=True)).to_be_visible()
    expect(body.get_by_text(garbled)).to_have_count(0)  # the user chose it: nothing to say
    wait_for_app(page)
    expect(body.locator('[data-testid="stMultiSelect"]').filter(has_text="Feature columns")).to_contain_text("高雄")
    expect(target).to_have_value("y")
    body.get_by_role("button", name="Use this dataset").click()
    expect(alert(body, "success")).to_contain_text("Using city.csv: 40 rows, 1 feature (高雄) to predict y.")
    wait_for_app(page)
    assert_no_exception(page)
