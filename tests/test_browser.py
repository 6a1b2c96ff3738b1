"""A real Chromium against a real gunicorn serving the demo city: log in, walk the region tree,
see the grid polygons drawn without any tile server, locate a point, switch to English."""

import os
from pathlib import Path

import pytest

from tests.demo_site import DemoServer

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = pytest.mark.browser

if not CHROMIUM.exists():
    if os.environ.get("WANGGE_REQUIRE_BROWSER") == "1":
        raise RuntimeError("Chromium is required (WANGGE_REQUIRE_BROWSER=1) but /usr/bin/chromium is missing")
    pytest.skip("Debian's chromium is not installed (apt-get install chromium)", allow_module_level=True)

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    site = DemoServer(tmp_path_factory.mktemp("browser-demo"))
    yield site
    site.stop()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


def log_in(browser, server, username, viewport=None):
    # An English-speaking browser: the interface must still open in Chinese.
    page = browser.new_page(viewport=viewport or {"width": 1280, "height": 900}, locale="en-US")
    page.goto(server.url + "/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "wangge-demo-2026")
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    return page


def test_a_dispatcher_walks_the_tree_and_sees_the_grid_map(browser, server, tmp_path):
    page = log_in(browser, server, "dispatcher")
    assert page.url.endswith("/regions/510502001000/")
    assert page.locator("h1").inner_text().startswith("南城街道")
    page.wait_for_selector("#map[data-loaded]")
    assert page.locator("#map").get_attribute("data-loaded") == "12"  # 3 communities × 4 grids
    assert "已显示 12 个网格" in page.locator("#map-status").inner_text()
    page.screenshot(path=str(tmp_path / "street.png"))

    page.click("text=上平社区")
    page.wait_for_selector("#map[data-loaded]")
    assert page.locator("#map").get_attribute("data-loaded") == "4"
    page.click("text=上平第1网格")
    assert "小区" in page.content()
    page.locator(".list a[href^='/compounds/']").first.click()
    assert "物业企业" in page.content()
    page.locator("a[href^='/buildings/']").first.click()
    assert "已脱敏" in page.content() and "********" in page.content()

    # Another street's page is not there for this user.
    response = page.goto(server.url + "/regions/510502002000/")
    assert response.status == 404


def test_locating_a_point_by_tapping_the_map_on_a_phone(browser, server):
    page = log_in(browser, server, "community", viewport={"width": 390, "height": 844})
    page.goto(server.url + "/locate/")
    page.wait_for_selector("#map[data-loaded]")
    page.locator("#map").click()  # scrolls the map into view and taps its centre
    page.wait_for_function("document.getElementById('locate-result').textContent.includes('所在网格')")
    assert "510502001001" in page.locator("#locate-result").inner_text()
    # The page fits the phone: nothing wider than the screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_switching_the_interface_to_english(browser, server):
    page = log_in(browser, server, "admin")
    page.click("button[value=en]")
    page.wait_for_load_state("networkidle")
    assert "Audit log" in page.locator("header").inner_text()
    page.click("button[value=zh-hans]")
    page.wait_for_load_state("networkidle")
    assert "审计日志" in page.locator("header").inner_text()
