"""The leaderboard pages in a real headless Chromium (Selenium + the system chromedriver)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from leaderboard_helpers import Server, free_port, repack, unpack

from agentgym.leaderboard.bundle import pack_run
from agentgym.testing.browser import follow

pytestmark = pytest.mark.browser

@pytest.fixture(scope="module")
def populated(tmp_path_factory: pytest.TempPathFactory, runs: dict[str, Path]) -> Iterator[tuple[Any, dict]]:
    """One server for this module, holding three submissions with distinct scores and models."""
    server = Server(f"sqlite:///{tmp_path_factory.mktemp('browser') / 'lb.db'}", free_port(), []).start()
    try:
        yield server, _submit_three(server, runs)
    finally:
        server.stop()


def _submit_three(server: Server, runs: dict[str, Path]) -> dict[str, str]:
    token = server.token("alice")
    oracle = pack_run(runs["oracle"], model="zeta-oracle", organisation="agentgym")
    flaky = pack_run(runs["flaky"], model="alpha-flaky", organisation="acme")
    info, trajs = unpack(flaky)
    ids = {}
    for model, data in [("zeta-oracle", oracle), ("alpha-flaky", flaky),
                        ("mid-flaky", repack({**info, "model": "mid-flaky", "organisation": "beta"}, trajs))]:
        resp = server.upload(data, token)
        assert resp.status_code == 201, resp.text
        ids[model] = resp.json()["id"]
    return ids


def _column(driver: Any, index: int) -> list[str]:
    from selenium.webdriver.common.by import By

    return [row.find_elements(By.TAG_NAME, "td")[index].text
            for row in driver.find_elements(By.CSS_SELECTOR, "#leaderboard tbody tr")]


def test_leaderboard_table_shows_submissions_and_sorts_by_clicking(browser: Any, populated: Any) -> None:
    from selenium.webdriver.common.by import By

    server, ids = populated
    browser.get(server.url + "/")
    follow(browser, browser.find_element(By.LINK_TEXT, "calculator").click)
    assert browser.current_url.startswith(server.url + "/envs/calculator")
    headers = [th.text for th in browser.find_elements(By.CSS_SELECTOR, "#leaderboard thead th")]
    for name in ("model", "success rate", "95% CI", "pass^k", "cost ($)", "harness"):
        assert name in headers
    model_col, rate_col = headers.index("model"), headers.index("success rate")
    # ranked by success rate: the oracle first
    assert _column(browser, model_col)[0] == "zeta-oracle"
    assert _column(browser, rate_col) == ["1.000", "0.700", "0.700"]
    assert "policy=flaky-oracle" in _column(browser, headers.index("harness"))[1]
    assert _column(browser, headers.index("95% CI"))[1] == "[0.575, 0.825]"

    model_header = browser.find_elements(By.CSS_SELECTOR, "#leaderboard thead th")[model_col]
    model_header.click()
    assert model_header.get_attribute("aria-sort") == "ascending"
    assert _column(browser, model_col) == ["alpha-flaky", "mid-flaky", "zeta-oracle"]
    model_header.click()
    assert model_header.get_attribute("aria-sort") == "descending"
    assert _column(browser, model_col) == ["zeta-oracle", "mid-flaky", "alpha-flaky"]
    rate_header = browser.find_elements(By.CSS_SELECTOR, "#leaderboard thead th")[rate_col]
    rate_header.click()  # numeric sort, ascending
    assert _column(browser, rate_col) == ["0.700", "0.700", "1.000"]

    # the JSON API mirrors the page
    api = server.http.get("/api/envs/calculator").json()
    assert [r["model"] for r in api["rows"]] == ["zeta-oracle", "alpha-flaky", "mid-flaky"]


def test_submission_page_has_category_bars_and_rubric_axes(browser: Any, populated: Any) -> None:
    from selenium.webdriver.common.by import By

    server, ids = populated
    browser.get(server.url + "/envs/calculator")
    follow(browser, browser.find_element(By.LINK_TEXT, "alpha-flaky").click)
    assert browser.current_url == server.url + f"/submissions/{ids['alpha-flaky']}"
    api = server.http.get(f"/api/submissions/{ids['alpha-flaky']}").json()
    bars = browser.find_elements(By.CSS_SELECTOR, "svg.categories g.bar")
    shown = {b.get_attribute("data-label"): float(b.get_attribute("data-value")) for b in bars}
    assert shown == pytest.approx(api["per_category"]) and set(shown) == {"1-step", "2-step", "3-step"}
    assert any(v < 1 for v in shown.values())
    fills = [b.find_element(By.CSS_SELECTOR, "rect.fill").size["width"] for b in bars]
    assert max(fills) > min(fills) > 0  # bar lengths follow the values
    axes = {b.get_attribute("data-label"): float(b.get_attribute("data-value"))
            for b in browser.find_elements(By.CSS_SELECTOR, "svg.axes g.bar")}
    assert axes == pytest.approx(api["rubric_axes"]) and "output_quality" in axes
    assert axes["output_quality"] == pytest.approx(0.7)
    assert "policy=flaky-oracle" in browser.find_element(By.ID, "details").text


def test_comparison_plot_has_a_point_per_model(browser: Any, populated: Any) -> None:
    from selenium.webdriver.common.by import By

    server, ids = populated
    browser.get(server.url + "/envs/calculator/compare")
    points = browser.find_elements(By.CSS_SELECTOR, "svg.compare g.point")
    assert {p.get_attribute("data-model") for p in points} == set(ids)
    x = {p.get_attribute("data-model"): float(p.find_element(By.CSS_SELECTOR, "circle.success")
                                                .get_attribute("cx")) for p in points}
    assert x["zeta-oracle"] > x["alpha-flaky"] == x["mid-flaky"]  # position encodes the success rate
    api = server.http.get("/api/envs/calculator/compare").json()
    assert {p["model"]: p["success_rate"] for p in api["points"]} == {
        "zeta-oracle": 1.0, "alpha-flaky": pytest.approx(0.7), "mid-flaky": pytest.approx(0.7)}
