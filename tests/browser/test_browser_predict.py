"""The Export page's Predict section in a real browser: rows typed into its grid as a person types them get the last
run's prediction, the closed form's and the truth's, in the table and in predictions.csv; a row added starts at the
training means; a row with a cell cleared gets no prediction and a warning in the page's language; and the rows typed
are still there after a visit to another page; a file of rows replaces the grid's; and where the Data page filled the
data's gaps with the column mean, a row's empty cell takes that mean."""

from __future__ import annotations

import csv
import math
import re
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from browser_helpers import alert, assert_no_exception, click_nav, main, wait_for_app
from playwright.sync_api import Locator, Page, expect

import sgdcore
from ui.errors import error_text_in
from ui.i18n import text_in

# D2L's synthetic data, the dashboard's default: y = 2·x1 − 3.4·x2 + 4.2 + noise.
TRUE_WEIGHTS, TRUE_BIAS = (2.0, -3.4), 4.2
ROW_1 = (1.0, 2.0)
ROW_2_X1 = 3.0
CLOSED_FORM_TOLERANCE = 0.01  # 800 training rows with noise 0.01 put the closed form this close to the truth
SGD_TOLERANCE = 0.05  # 3 epochs at 0.03 (the defaults) leave SGD a little further off
COLUMNS = ["x1", "x2", "sgd", "closed_form", "truth", "sgd_minus_closed_form"]
# Glide Data Grid's geometry (Streamlit's defaults): a header row and body rows of 35 px each.
ROW_HEIGHT_PX = 35


def truth_of(x1: float, x2: float) -> float:
    return TRUE_WEIGHTS[0] * x1 + TRUE_WEIGHTS[1] * x2 + TRUE_BIAS


def train_then_open_export(page: Page, say) -> None:
    """Press Train on the Train page, wait for the run to finish, then follow the sidebar link to Export."""
    main(page).get_by_role("button", name=say("train.train"), exact=True).click()
    finished = re.compile("^" + re.escape(say("verdicts.finished").split("{")[0]))  # "Finished …", "完成 …"
    expect(alert(main(page), "success").filter(has_text=finished)).to_have_count(1)
    wait_for_app(page)
    assert_no_exception(page)
    click_nav(page, say("nav.title.export"))
    assert_no_exception(page)


def prediction_grids(page: Page, say) -> tuple[Locator, Locator]:
    """The rows editor and the read-only predictions below it. Both have an x1 column header (the coefficients
    table above names x1 in a cell); only the predictions have a truth column."""
    with_x1 = main(page).get_by_test_id("stDataFrame").filter(has=page.locator("th", has_text=re.compile(r"^x1$")))
    truth = page.locator("th", has_text=re.compile(f"^{re.escape(say('export.column.truth'))}$"))
    editor, predicted = with_x1.filter(has_not=truth), with_x1.filter(has=truth)
    # Streamlit loads its grid lazily: a skeleton first, then the canvas and Glide's accessible table inside it.
    expect(editor).to_have_count(1)
    expect(predicted).to_have_count(1)
    expect(editor.get_by_test_id("data-grid-canvas")).to_be_visible()
    return editor, predicted


def cell(grid: Locator, column: int, row: int) -> Locator:
    """A cell of Glide's accessible table, which mirrors what its canvas draws. Columns count from 0, where the
    editor's row-marker column takes 0 and its data columns start at 1; rows count from 0 below the header."""
    return grid.get_by_test_id(f"glide-cell-{column}-{row}")


def click_cell(page: Page, editor: Locator, column: int, row: int) -> None:
    """Click where the editor's canvas draws a cell: ``column`` 1 or 2 of its two data columns, which share its width
    (the row markers' narrow column aside), ``row`` from 0; the row after the last is the empty one that adds a row."""
    canvas = editor.get_by_test_id("data-grid-canvas")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    assert box is not None
    # Glide lays a scroller over its canvas, which takes the clicks: click the screen where the cell is drawn.
    page.mouse.click(box["x"] + box["width"] * (0.25 if column == 1 else 0.75),
                     box["y"] + ROW_HEIGHT_PX * (row + 1) + ROW_HEIGHT_PX / 2)


def wait_for_rerun_with(page: Page, predicted: Locator, column: int, row: int, text: str | None = None) -> None:
    """Wait until the predictions, drawn by the server's rerun, have a cell there (with ``text``), and the rerun is
    over. An edit begun while the rerun of the one before redraws the editor is lost, as a person's would be."""
    shown = cell(predicted, column - 1, row)  # the predictions have no row-marker column
    expect(shown).to_have_count(1)
    if text is not None:
        expect(shown).to_have_text(text)
    wait_for_app(page)


def commit_edit(page: Page) -> None:
    """Press Enter in Glide's editor over a cell, two animation frames after the last key. Its input shows a key
    before Glide's editor has taken it: Enter in the same frame commits the cell's old value (seen with Enter 14 ms
    after the key), a race of the test's speed that a person's typing does not run."""
    page.evaluate("() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")
    page.keyboard.press("Enter")


def type_into_cell(page: Page, editor: Locator, predicted: Locator, column: int, row: int, value: str) -> None:
    """Click a cell of the editor, type a value and press Enter, as a person does; wait for its predictions."""
    # A click on the cell already selected (the row just added) opens Glide's editor with the cell's value, which
    # the keys typed would add to: a person types straight into it instead.
    if cell(editor, column, row).get_attribute("aria-selected") != "true":
        click_cell(page, editor, column, row)
    # Keys typed before Glide has selected the cell are lost.
    expect(cell(editor, column, row)).to_have_attribute("aria-selected", "true")
    page.keyboard.type(value)
    overlay = page.get_by_test_id("portal").locator(".gdg-clip-region")  # Glide's editor over the cell
    expect(overlay.locator("input, textarea")).to_have_value(value)
    commit_edit(page)
    expect(overlay).to_have_count(0)
    expect(cell(editor, column, row)).to_have_text(value)
    wait_for_rerun_with(page, predicted, column, row, value)


def clear_cell(page: Page, editor: Locator, predicted: Locator, column: int, row: int) -> None:
    """Empty a cell of the editor as a person does, and wait for the rerun to have it empty: the cell selected, its
    editor opened with Enter, its text selected and erased, Enter."""
    if cell(editor, column, row).get_attribute("aria-selected") != "true":
        click_cell(page, editor, column, row)
    expect(cell(editor, column, row)).to_have_attribute("aria-selected", "true")
    page.keyboard.press("Enter")
    overlay = page.get_by_test_id("portal").locator(".gdg-clip-region")  # Glide's editor over the cell
    expect(overlay.locator("input, textarea")).to_be_visible()
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.press("Backspace")
    expect(overlay.locator("input, textarea")).to_have_value("")
    commit_edit(page)
    expect(overlay).to_have_count(0)
    expect(cell(editor, column, row)).to_have_text("")
    wait_for_rerun_with(page, predicted, column, row, "")


def add_row(page: Page, editor: Locator, predicted: Locator, row: int) -> None:
    """Click the editor's empty trailing row (``row``, from 0), which adds a row, and wait for the rerun to have it."""
    click_cell(page, editor, 1, row)
    expect(cell(editor, 1, row)).to_have_count(1)
    wait_for_rerun_with(page, predicted, 1, row)


def download_predictions(page: Page, say, columns: list[str] = COLUMNS) -> list[dict[str, str]]:
    """The rows of predictions.csv, as the download button gives it, with ``columns``."""
    with page.expect_download() as download:
        main(page).get_by_role("button", name=say("export.predictions_csv")).click()
    assert download.value.suggested_filename == "predictions.csv"
    with Path(download.value.path()).open(encoding="utf-8-sig", newline="") as file:
        reader = csv.DictReader(file)
        assert reader.fieldnames == columns, reader.fieldnames  # the file keeps its English names
        return list(reader)


def assert_row_1_predicted(row: dict[str, str]) -> None:
    """x1 = 1, x2 = 2: the truth −0.6, the closed form and SGD near it, and their difference in the last column."""
    x1, x2 = ROW_1
    assert (float(row["x1"]), float(row["x2"])) == ROW_1, row
    truth, closed_form, sgd = float(row["truth"]), float(row["closed_form"]), float(row["sgd"])
    assert math.isclose(truth, truth_of(x1, x2), abs_tol=1e-9), row
    assert abs(closed_form - truth) <= CLOSED_FORM_TOLERANCE, row
    assert abs(sgd - truth) <= SGD_TOLERANCE, row
    assert math.isclose(float(row["sgd_minus_closed_form"]), sgd - closed_form, abs_tol=1e-9), row


def assert_row_2_unpredicted(row: dict[str, str]) -> None:
    """x1 = 3 typed, x2 cleared: x2 is empty, and so is every prediction."""
    assert float(row["x1"]) == ROW_2_X1, row
    assert row["x2"] == "", f"x2 was cleared in row 2, yet it holds {row['x2']}: {row}"
    assert {name: row[name] for name in COLUMNS[2:]} == dict.fromkeys(COLUMNS[2:], ""), row


@pytest.mark.browser
@pytest.mark.parametrize("language", ["en", "zh-CN"])
def test_rows_typed_on_the_export_page_are_predicted_downloaded_and_kept_across_pages(open_page, language):
    say = partial(text_in, language)
    page = open_page(f"/?lang={language}")
    train_then_open_export(page, say)
    editor, predicted = prediction_grids(page, say)
    expect(main(page).get_by_role("heading", name=say("export.predict"))).to_be_visible()
    expect(cell(editor, 1, 0)).to_have_text("-0.04533")  # the training means of the default data, 4 digits
    expect(cell(editor, 2, 0)).to_have_text("-0.02657")

    type_into_cell(page, editor, predicted, 1, 0, "1")
    type_into_cell(page, editor, predicted, 2, 0, "2")
    add_row(page, editor, predicted, 1)
    expect(cell(editor, 2, 1)).to_have_text("-0.02657")  # a row added starts at the training means
    type_into_cell(page, editor, predicted, 1, 1, "3")
    clear_cell(page, editor, predicted, 2, 1)
    assert_no_exception(page)
    # Row 2 is checked at the end, with the second visit's, so that a failure there still lets the rest be checked.
    first_visit = download_predictions(page, say)
    warnings_first_visit = [text.strip() for text in alert(main(page), "warning").all_inner_texts()]
    assert len(first_visit) == 2, first_visit
    assert_row_1_predicted(first_visit[0])
    truth_shown = float(cell(predicted, 4, 0).inner_text())
    assert math.isclose(truth_shown, float(first_visit[0]["truth"]), abs_tol=1e-9), truth_shown

    # Away to the Train page and back by the sidebar, in the same session: the rows typed are kept.
    click_nav(page, say("nav.title.train"))
    assert_no_exception(page)
    click_nav(page, say("nav.title.export"))
    assert_no_exception(page)
    editor, predicted = prediction_grids(page, say)
    expect(cell(editor, 1, 0)).to_have_text("1")
    expect(cell(editor, 2, 0)).to_have_text("2")
    expect(cell(editor, 1, 1)).to_have_text("3")
    second_visit = download_predictions(page, say)
    assert second_visit[0] == first_visit[0], (first_visit, second_visit)  # the same run predicts the same

    # Row 2, its x2 cleared, has no prediction and its warning, on both visits.
    warning = say("export.predict_incomplete", row=2, columns="x2")
    assert_row_2_unpredicted(first_visit[1])
    assert warnings_first_visit == [warning], warnings_first_visit
    assert_row_2_unpredicted(second_visit[1])
    expect(cell(editor, 2, 1)).to_have_text("")
    expect(alert(main(page), "warning")).to_have_text([warning])
    assert_no_exception(page)


@pytest.mark.browser
def test_rows_pasted_from_a_spreadsheet_become_rows_and_are_predicted(open_page):
    say = partial(text_in, "en")
    page = open_page("/?lang=en")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    train_then_open_export(page, say)
    editor, predicted = prediction_grids(page, say)
    # Three rows as a spreadsheet copies them (tab between cells, a line each), pasted at the first cell: the editor
    # takes the first row's place and adds two.
    pasted = [(1.0, 2.0), (3.0, -1.5), (0.25, 0.0)]
    page.evaluate("text => navigator.clipboard.writeText(text)",
                  "\n".join(f"{x1}\t{x2}" for x1, x2 in pasted))
    click_cell(page, editor, 1, 0)
    expect(cell(editor, 1, 0)).to_have_attribute("aria-selected", "true")
    page.keyboard.press("ControlOrMeta+v")
    expect(cell(editor, 2, 2)).to_have_text("0")
    wait_for_rerun_with(page, predicted, 2, 2, "0")
    rows = download_predictions(page, say)
    assert [(float(row["x1"]), float(row["x2"])) for row in rows] == pasted, rows
    for row, (x1, x2) in zip(rows, pasted, strict=True):
        assert math.isclose(float(row["truth"]), truth_of(x1, x2), abs_tol=1e-9), row
        assert abs(float(row["closed_form"]) - float(row["truth"])) <= CLOSED_FORM_TOLERANCE, row
    expect(alert(main(page), "warning")).to_have_count(0)
    assert_no_exception(page)


@pytest.mark.browser
@pytest.mark.parametrize("language", ["en", "zh-CN"])
def test_a_file_of_rows_replaces_the_grid_s_rows_and_a_file_the_model_cannot_read_leaves_them(open_page, language,
                                                                                              tmp_path):
    say = partial(text_in, language)
    page = open_page(f"/?lang={language}")
    train_then_open_export(page, say)
    editor, predicted = prediction_grids(page, say)
    uploader = main(page).get_by_test_id("stFileUploaderDropzoneInput")
    # A file of new rows as one comes: an identifier beside the inputs, in another order than the grid's.
    rows_in_file = [(1.0, 2.0), (3.0, -1.5), (0.25, 0.0)]
    new_rows = tmp_path / "new rows.csv"
    new_rows.write_text("house,x2,x1\n" + "".join(f"h{number},{x2},{x1}\n" for number, (x1, x2) in
                                                   enumerate(rows_in_file)), encoding="utf-8")
    uploader.set_input_files(new_rows)
    expect(cell(editor, 1, 2)).to_have_text("0.25")
    expect(cell(editor, 3, 2)).to_have_text("h2")  # the identifier follows the inputs, read-only
    expect(cell(editor, 3, 2)).to_have_attribute("aria-readonly", "true")
    wait_for_rerun_with(page, predicted, 2, 2, "0")
    loaded = say("export.predict_file_loaded", file="new rows.csv", rows=3).replace("**", "")
    expect(main(page).get_by_text(loaded)).to_be_visible()
    rows = download_predictions(page, say, ["x1", "x2", "house", *COLUMNS[2:]])
    assert [(float(row["x1"]), float(row["x2"]), row["house"]) for row in rows] == [
        (x1, x2, f"h{number}") for number, (x1, x2) in enumerate(rows_in_file)], rows
    for row, (x1, x2) in zip(rows, rows_in_file, strict=True):
        assert math.isclose(float(row["truth"]), truth_of(x1, x2), abs_tol=1e-9), row
        assert abs(float(row["closed_form"]) - float(row["truth"])) <= CLOSED_FORM_TOLERANCE, row

    # A file without x2 is refused in the page's language, and the grid keeps the file's rows before it.
    no_x2 = tmp_path / "no x2.csv"
    no_x2.write_text("x1,y\n1,2\n", encoding="utf-8")
    uploader.set_input_files(no_x2)
    refused = alert(main(page), "error")
    expect(refused).to_have_count(1)
    expect(refused).to_contain_text("no x2.csv")
    expect(refused).to_contain_text(say("errors.rows_lack_columns", columns="'x2'"))
    expect(main(page).get_by_text(say("export.predict_file_kept"))).to_be_visible()
    wait_for_app(page)
    expect(cell(editor, 1, 2)).to_have_text("0.25")
    assert download_predictions(page, say, ["x1", "x2", "house", *COLUMNS[2:]]) == rows
    assert_no_exception(page)


@pytest.mark.browser
def test_a_row_with_an_empty_cell_is_predicted_at_the_mean_the_data_page_filled_gaps_with(open_page, tmp_path):
    say = partial(text_in, "en")
    page = open_page("/?lang=en&learning_rate=0.1&epochs=30")
    # Data with three gaps in x1, filled with its mean on the Data page, as a person chooses there
    rng = np.random.default_rng(3)
    x = rng.normal(size=(200, 2))
    y = x @ np.array(TRUE_WEIGHTS) + TRUE_BIAS + rng.normal(scale=0.01, size=200)
    lines = [f"{'' if row in (4, 50, 120) else f'{a:.6f}'},{b:.6f},{c:.6f}"
             for row, ((a, b), c) in enumerate(zip(x, y, strict=True))]
    gaps = tmp_path / "gaps.csv"
    gaps.write_text("x1,x2,y\n" + "\n".join(lines) + "\n", encoding="utf-8")
    mean_x1 = float(pd.read_csv(gaps)["x1"].mean())
    click_nav(page, say("nav.title.data"))
    main(page).get_by_test_id("stFileUploaderDropzoneInput").set_input_files(gaps)
    fill_with_mean = say("messages.missing.mean")
    main(page).get_by_role("radiogroup").filter(has_text=fill_with_mean).get_by_text(fill_with_mean).click()
    expect(main(page).get_by_role("radio", name=fill_with_mean, exact=True)).to_be_checked()
    wait_for_app(page)
    main(page).get_by_role("button", name=say("data.use")).click()
    expect(alert(main(page), "success")).to_contain_text(re.compile("^Using gaps.csv"))
    wait_for_app(page)
    click_nav(page, say("nav.title.train"))
    train_then_open_export(page, say)

    # x1 empty in row 1, and typed out at its mean in row 3: the same predictions; x2 empty in row 2: none
    new_rows = tmp_path / "new rows.csv"
    new_rows.write_text(f"x1,x2\n,1\n2,\n{mean_x1!r},1\n", encoding="utf-8")
    main(page).get_by_test_id("stFileUploaderDropzoneInput").set_input_files(new_rows)
    filled = say("export.predict_filled", cells=1, columns="x1", choice=fill_with_mean,
                 values=f"x1 → {mean_x1:.6g}")
    expect(main(page).get_by_text(say("export.predict_file_loaded", file="new rows.csv", rows=3).replace("**", ""))
           ).to_be_visible()
    expect(main(page).get_by_text(filled)).to_be_visible()
    warning = alert(main(page), "warning").filter(has_text=re.compile("^Row "))  # the share link's is above
    expect(warning).to_have_text([say("export.predict_incomplete", row=2, columns="x2")])
    rows = download_predictions(page, say, ["x1", "x2", *COLUMNS[2:4], COLUMNS[5]])
    assert rows[0]["x1"] == "" and rows[1]["closed_form"] == "", rows
    for model in ("sgd", "closed_form"):
        assert math.isclose(float(rows[0][model]), float(rows[2][model]), rel_tol=1e-12), rows
    assert abs(float(rows[0]["closed_form"]) - truth_of(mean_x1, 1.0)) <= CLOSED_FORM_TOLERANCE * 10, rows
    assert_no_exception(page)


@pytest.mark.browser
def test_a_file_s_cell_that_is_no_number_stays_as_written_until_corrected_in_the_grid(open_page, tmp_path):
    say = partial(text_in, "en")
    page = open_page("/?lang=en")
    train_then_open_export(page, say)
    editor, predicted = prediction_grids(page, say)
    typed = tmp_path / "typed.csv"
    typed.write_text("x1,x2\n1,2\nabout 3,2\n", encoding="utf-8")
    main(page).get_by_test_id("stFileUploaderDropzoneInput").set_input_files(typed)
    # The file is loaded, its cell as written; row 2 waits, row 1 is predicted
    expect(cell(editor, 1, 1)).to_have_text("about 3")
    wait_for_rerun_with(page, predicted, 1, 1, "about 3")
    expect(main(page).get_by_text(say("export.predict_file_loaded", file="typed.csv", rows=2).replace("**", ""))
           ).to_be_visible()
    expect(alert(main(page), "error")).to_have_count(0)
    unread = sgdcore.DataError("", "row_value_not_a_number", column="x1", row=2, value="about 3")
    warning = alert(main(page), "warning").filter(has_text=re.compile("^Row "))  # the share link's is above
    expect(warning).to_have_text([say("export.predict_unreadable", problem=error_text_in("en", unread))])
    expect(cell(predicted, 2, 0)).not_to_have_text("")  # sgd's prediction of row 1
    expect(cell(predicted, 2, 1)).to_have_text("")

    # Typed over in the grid as a person corrects it, the row is predicted and the warning goes
    type_into_cell(page, editor, predicted, 1, 1, "3")
    expect(warning).to_have_count(0)
    rows = download_predictions(page, say)
    assert_row_1_predicted(rows[0])
    assert float(rows[1]["x1"]) == ROW_2_X1 and math.isclose(float(rows[1]["truth"]), truth_of(ROW_2_X1, 2.0),
                                                             abs_tol=1e-9), rows
    assert abs(float(rows[1]["closed_form"]) - float(rows[1]["truth"])) <= CLOSED_FORM_TOLERANCE, rows
    assert_no_exception(page)
