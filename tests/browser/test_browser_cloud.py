"""The dashboard under the config Streamlit Community Cloud imposes: the same behaviour as locally.

Cloud overrides a few options whatever ``.streamlit/config.toml`` says: it reruns on save, hides error
details, and turns XSRF protection on (which uploads must pass: the uploader sends the XSRF cookie's
token with each file).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
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
    sidebar,
    to_float,
    wait_for_app,
)
from conftest import VIEWPORT, Server, _require_chromium, streamlit_server
from playwright.sync_api import expect

CLOUD_OVERRIDES = ("--server.runOnSave=true", "--client.showErrorDetails=false", "--server.enableXsrfProtection=true")


@pytest.fixture(scope="module")
def cloud_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    _require_chromium()
    with streamlit_server(tmp_path_factory.mktemp("streamlit-cloud"), arguments=CLOUD_OVERRIDES) as running:
        yield running


@pytest.fixture
def cloud_page(browser, cloud_server: Server):
    """A page in a fresh context of the session's Chromium (one Playwright per thread), on the Cloud-like server."""
    context = browser.new_context(viewport=VIEWPORT, base_url=cloud_server.url)
    context.set_default_timeout(TIMEOUT_MS)
    yield context.new_page()
    context.close()


def train_and_read(page) -> dict[str, dict[str, str]]:
    page.get_by_role("button", name="Train", exact=True).click()
    expect(alert(main(page), "success")).to_contain_text(re.compile("^Finished"))
    wait_for_app(page)
    assert_no_exception(page)
    return read_table(main(page).locator('[data-testid="stTable"]'))


@pytest.mark.browser
def test_under_clouds_overrides_the_default_data_trains(cloud_page, cloud_server: Server):
    cloud_page.goto("/")
    wait_for_app(cloud_page)
    cookies = [cookie["name"] for cookie in cloud_page.context.cookies()]
    print(f"\ncookies: {cookies}")
    assert any("xsrf" in name for name in cookies), cookies  # the server protects against XSRF
    rows = train_and_read(cloud_page)
    assert list(rows) == ["x1", "x2", "bias"]
    for name, truth in zip(rows, (2.0, -3.4, 4.2), strict=True):
        assert abs(to_float(rows[name]["SGD"]) - truth) < 0.05, rows


@pytest.mark.browser
def test_under_clouds_overrides_a_csv_uploads_with_xsrf_on_and_trains(cloud_page, tmp_path: Path):
    rng = np.random.default_rng(11)
    x = rng.normal(size=(300, 2))
    y = x @ np.array([1.5, -0.5]) + 2.0 + rng.normal(scale=0.01, size=300)
    path = tmp_path / "cloud.csv"
    path.write_text("a,b,y\n" + "\n".join(f"{p:.6f},{q:.6f},{t:.6f}" for (p, q), t in zip(x, y, strict=True)))

    cloud_page.goto("/data?lr=0.1&epochs=30")
    wait_for_app(cloud_page)
    body = main(cloud_page)
    body.locator('input[type="file"]').set_input_files(path)
    expect(body.get_by_text(re.compile(r"^cloud\.csv: 300 rows × 3 columns"))).to_be_visible()
    wait_for_app(cloud_page)
    body.get_by_role("button", name="Use this dataset").click()
    expect(alert(body, "success")).to_contain_text(re.compile("^Using cloud.csv"))
    wait_for_app(cloud_page)
    expect(sidebar(cloud_page).get_by_role("radio", name="Uploaded file")).to_be_checked()

    click_nav(cloud_page, "Train")
    rows = train_and_read(cloud_page)
    assert list(rows)[:2] == ["a", "b"], rows
    for name, expected in zip(rows, (1.5, -0.5, 2.0), strict=True):
        assert abs(to_float(rows[name]["closed form"]) - expected) < 0.01, rows

    click_nav(cloud_page, "Export and share")
    # The share link's code block, not the run-as-code script further down the page.
    link = main(cloud_page).locator('[data-testid="stCode"]').filter(has_text=re.compile(r"^\s*http")).first
    link = link.inner_text().strip()
    assert link.startswith(cloud_page.url.split("/export")[0]) and "data_source=csv" in link, link
