"""The trajectory viewer in a real headless Chromium: the list, its filters, an episode's timeline, the
side-by-side comparison, and the newcomer's chain new-env → validate → run → view."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from devx_helpers import agentgym_cli

from agentgym.errors import ConfigError
from agentgym.testing.browser import follow
from agentgym.viewer import ViewerServer

pytestmark = pytest.mark.browser


def _by(kind: str) -> Any:
    from selenium.webdriver.common.by import By

    return getattr(By, kind)


def _rows(driver: Any) -> list[Any]:
    return driver.find_elements(_by("CSS_SELECTOR"), "#episodes tr.episode")


def _lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (path / "trajectories.jsonl").read_text().splitlines()]


def _choose(driver: Any, name: str, value: str) -> None:
    """Pick a filter value the way a user does; the page reloads with the filter applied."""
    from selenium.webdriver.support.ui import Select

    follow(driver, lambda: Select(driver.find_element(_by("NAME"), name)).select_by_value(value))


def test_list_shows_every_episode_and_the_filters_narrow_it(browser: Any, run_dirs: dict[str, Path]) -> None:
    noisy, rand = _lines(run_dirs["noisy"]), _lines(run_dirs["random"])
    with ViewerServer([run_dirs["noisy"], run_dirs["random"]]) as viewer:
        browser.get(viewer.url)
        assert len(_rows(browser)) == len(noisy) + len(rand) == 28
        shown = {r.find_element(_by("CSS_SELECTOR"), "a.ep-link").text for r in _rows(browser)}
        assert shown == {t["task"]["id"] for t in noisy + rand}

        _choose(browser, "success", "no")
        failed = [t for t in noisy + rand if not t["metrics"]["success"]]
        assert failed and len(_rows(browser)) == len(failed)
        assert all("failed" in r.text for r in _rows(browser))
        assert "success=no" in browser.current_url

        browser.get(viewer.url)
        _choose(browser, "noise", "yes")
        with_noise = [t for t in noisy + rand if any(s["noise"] for s in t["steps"])]
        assert with_noise and len(_rows(browser)) == len(with_noise)

        browser.get(viewer.url)
        _choose(browser, "error", "noise")  # the injected failures come back as tool errors of kind "noise"
        assert len(_rows(browser)) == len(with_noise)
        assert all("noise" in r.text for r in _rows(browser))

        browser.get(viewer.url)
        _choose(browser, "category", "3-step")
        three = [t for t in noisy + rand if t["task"]["category"] == "3-step"]
        assert three and len(_rows(browser)) == len(three)
        assert all("3-step" in r.text for r in _rows(browser))

        browser.get(viewer.url + "?success=yes&noise=no")  # filters combine and live in the URL
        both = [t for t in noisy + rand if t["metrics"]["success"] and not any(s["noise"] for s in t["steps"])]
        assert len(_rows(browser)) == len(both)


def test_episode_timeline_shows_tool_calls_results_and_injected_noise(browser: Any, run_dirs: dict[str, Path],
                                                                      tmp_path: Path) -> None:
    noisy = _lines(run_dirs["noisy"])
    traj = next(t for t in noisy if any(s["noise"] for s in t["steps"]))
    with ViewerServer([run_dirs["noisy"]]) as viewer:
        browser.get(viewer.url)
        row = next(r for r in _rows(browser) if r.find_element(_by("CSS_SELECTOR"), "a.ep-link").text == traj["task"]["id"])
        follow(browser, row.find_element(_by("CSS_SELECTOR"), "td:nth-child(3)").click)  # a click anywhere on the row opens it
        turns = browser.find_elements(_by("CSS_SELECTOR"), ".timeline li.turn:not(.opening)")
        assert len(turns) == len(traj["steps"])
        assert traj["task"]["instruction"] in browser.find_element(_by("ID"), "episode").text
        calls = browser.find_elements(_by("CSS_SELECTOR"), ".call")
        gold_calls = [(c["name"], c["arguments"], o["content"]) for s in traj["steps"]
                      for c in s["action"]["tool_calls"] for o in s["observation"] if o["tool_call_id"] == c["id"]]
        assert len(calls) == len(gold_calls)
        for el, (name, args, result) in zip(calls, gold_calls):
            assert el.find_element(_by("CSS_SELECTOR"), ".fn").text == name
            assert json.loads(el.find_element(_by("CSS_SELECTOR"), "pre.args").text) == args
            assert el.find_element(_by("CSS_SELECTOR"), "pre.result").text == result
        noise = browser.find_elements(_by("CSS_SELECTOR"), ".noise")
        events = [n for s in traj["steps"] for n in s["noise"]]
        assert len(noise) == len(events) and events[0]["injected"] in noise[0].text
        final = traj["steps"][-1]["action"]["content"]
        assert final in turns[-1].text and "terminated" in turns[-1].text
        assert "reward" in turns[0].text and "latency" in turns[0].text and "tokens" in turns[0].text
        browser.save_screenshot(str(tmp_path / "episode.png"))


def test_timeline_shows_violations_and_per_turn_reward_components(browser: Any, run_dirs: dict[str, Path]) -> None:
    traj = _lines(run_dirs["cctu"])[0]
    with ViewerServer([run_dirs["cctu"]]) as viewer:
        browser.get(viewer.url + "?error=constraint")
        assert {r.find_element(_by("CSS_SELECTOR"), "a.ep-link").text for r in _rows(browser)} >= {traj["task"]["id"]}
        browser.get(viewer.url + "episode?run=0&i=0")
        turns = browser.find_elements(_by("CSS_SELECTOR"), ".timeline li.turn:not(.opening)")
        assert len(turns) == len(traj["steps"])
        for el, step in zip(turns, traj["steps"]):
            shown = el.find_elements(_by("CSS_SELECTOR"), ".violation")
            assert [v.text for v in shown] == [
                f"violation {v['constraint']} · {v['dimension']} · {v['category']} — {v['message']}"
                for v in step["violations"]]
            comps = [c.text for c in el.find_elements(_by("CSS_SELECTOR"), ".turn-head .metric.comp")]
            assert comps == [f"{k} {v:.3f}" for k, v in step["reward_components"].items()]
        assert any(s["violations"] for s in traj["steps"])


def test_two_runs_compare_side_by_side_on_the_same_task(browser: Any, run_dirs: dict[str, Path]) -> None:
    clean, noisy = _lines(run_dirs["clean"]), _lines(run_dirs["noisy"])
    task = next(t["task"]["id"] for t in noisy if any(s["noise"] for s in t["steps"]))
    with ViewerServer([run_dirs["clean"], run_dirs["noisy"]]) as viewer:
        browser.get(viewer.url + "?q=" + task)
        assert len(_rows(browser)) == 2
        follow(browser, _rows(browser)[0].find_element(_by("CSS_SELECTOR"), "a.compare-link").click)
        sides = browser.find_elements(_by("CSS_SELECTOR"), "#compare .side")
        assert [s.get_attribute("data-run") for s in sides] == ["0", "1"]
        for side, lines in zip(sides, (clean, noisy)):
            traj = next(t for t in lines if t["task"]["id"] == task)
            assert traj["id"] in side.text and traj["task"]["instruction"] in side.text
            turns = side.find_elements(_by("CSS_SELECTOR"), "li.turn:not(.opening)")
            assert len(turns) == len(traj["steps"])
        assert not sides[0].find_elements(_by("CSS_SELECTOR"), ".noise")
        assert sides[1].find_elements(_by("CSS_SELECTOR"), ".noise")
        # the form switches to another shared task
        from selenium.webdriver.support.ui import Select

        other = next(t["task"]["id"] for t in clean if t["task"]["id"] != task)
        Select(browser.find_element(_by("NAME"), "task")).select_by_visible_text(other)
        follow(browser, browser.find_element(_by("CSS_SELECTOR"), "#compare-form button").click)
        assert f"task={other}" in browser.current_url
        assert other in browser.find_element(_by("ID"), "compare").text


def test_bad_inputs_are_clear_errors(run_dirs: dict[str, Path], tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not a run directory"):
        ViewerServer([tmp_path])
    with ViewerServer([run_dirs["clean"]]) as viewer:
        assert httpx.get(viewer.url + "episode?run=0&i=999").status_code == 404
        assert httpx.get(viewer.url + "episode?run=7&i=0").status_code == 404
        assert "two runs" in httpx.get(viewer.url + "compare").text
        assert viewer.url.startswith("http://127.0.0.1:")


def test_a_live_run_is_reread_when_its_file_grows(run_dirs: dict[str, Path], tmp_path: Path) -> None:
    run = tmp_path / "live"
    run.mkdir()
    for name in ("manifest.json", "scores.json"):
        (run / name).write_bytes((run_dirs["clean"] / name).read_bytes())
    lines = (run_dirs["clean"] / "trajectories.jsonl").read_bytes().splitlines(keepends=True)
    (run / "trajectories.jsonl").write_bytes(b"".join(lines[:3]))
    with ViewerServer([run]) as viewer:
        assert len(httpx.get(viewer.url + "api/episodes").json()) == 3
        with (run / "trajectories.jsonl").open("ab") as fh:
            fh.write(b"".join(lines[3:5]))
        assert len(httpx.get(viewer.url + "api/episodes").json()) == 5


@pytest.mark.slow
def test_fresh_env_chain_new_env_validate_run_view(browser: Any, tmp_path: Path) -> None:
    """The newcomer's path from the issue, with the real CLI end to end, and the page read in Chromium."""
    site = tmp_path / "site"
    agentgym_cli("new-env", "demo_env", "--path", str(tmp_path), "--no-install", cwd=tmp_path)
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
                    "--target", str(site), str(tmp_path / "demo_env")], check=True, capture_output=True)
    env = {**os.environ, "PYTHONPATH": str(site)}
    agentgym_cli("validate", "demo_env", cwd=tmp_path, env=env)
    agentgym_cli("run", "demo_env", "--policy", "oracle", "--out", str(tmp_path / "r"), "--quiet", cwd=tmp_path,
                 env=env)
    view = subprocess.Popen([sys.executable, "-m", "agentgym", "view", str(tmp_path / "r"), "--port", "0",
                             "--no-browser"], cwd=tmp_path, env=env, stdout=subprocess.PIPE, text=True)
    try:
        line = view.stdout.readline()  # the command prints its URL, then serves until stopped
        url = re.search(r"http://127\.0\.0\.1:\d+/", line)
        assert url, line
        browser.get(url.group(0))
        episodes = _lines(tmp_path / "r")
        assert episodes and len(_rows(browser)) == len(episodes)
        assert {r.find_element(_by("CSS_SELECTOR"), "a.ep-link").text for r in _rows(browser)} == \
            {t["task"]["id"] for t in episodes}
        assert "demo_env" in browser.find_element(_by("CSS_SELECTOR"), ".run").text
        follow(browser, _rows(browser)[0].find_element(_by("CSS_SELECTOR"), "a.ep-link").click)
        assert browser.find_elements(_by("CSS_SELECTOR"), ".timeline li.turn:not(.opening)")
    finally:
        view.terminate()
        view.wait(timeout=30)
        view.stdout.close()


def test_long_lists_are_cut_with_a_link_to_more(run_dirs: dict[str, Path]) -> None:
    with ViewerServer([run_dirs["clean"]]) as viewer:
        page = httpx.get(viewer.url + "?limit=5").text
        assert page.count('class="episode ') == 5 and "20 of 20 episodes" in page
        assert 'href="/?limit=20"' in page
        assert httpx.get(viewer.url + "?limit=20").text.count('class="episode ') == 20


def test_view_command_reports_a_bad_run_directory_clearly(tmp_path: Path) -> None:
    out = subprocess.run([sys.executable, "-m", "agentgym", "view", str(tmp_path), "--no-browser", "--port", "0"],
                         capture_output=True, text=True, timeout=120, env={**os.environ, "COLUMNS": "300"})
    assert out.returncode == 2
    assert "is not a run directory (no manifest.json)" in out.stderr
