"""The whole case loop in a real Chromium against a real gunicorn serving the demo city, each step
by the demo account that does it: the resident reports by tapping the map on a phone, the
community files and sends it up, the street dispatches, the department handles with a photo, the
grid worker verifies with a photo on a phone, the street closes and the resident rates.

Screenshots of every step are saved under the test's output folder."""

import re

import pytest

from tests.demo_site import DemoServer
from tests.test_browser import CHROMIUM, CHROMIUM_ARGS  # noqa: F401  (skips the module without Chromium)

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
# A tiny real PNG (1×1, red): enough for the type check and for the browser to draw.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de"
    "0000000c4944415408d763f8cfc000000301010018dd8db00000000049454e44ae426082"
)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    site = DemoServer(tmp_path_factory.mktemp("browser-cases"))
    yield site
    site.stop()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


def log_in(browser, server, username, viewport=DESKTOP):
    context = browser.new_context(viewport=viewport, locale="zh-CN")
    page = context.new_page()
    page.goto(server.url + "/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "wangge-demo-2026")
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    return page


def open_from_inbox(page, server, box, number, order="-reported_at"):
    page.goto(f"{server.url}/cases/inbox/{box}/?order={order}")
    page.click(f"a.number:text('{number}')")
    page.wait_for_selector("#case-number")
    assert page.locator("#case-number").inner_text() == number


def act(page, action, fill=None):
    """Open the action's form, fill it in and submit; the page reloads with the case moved."""
    page.evaluate(f"document.getElementById('act-{action}').open = true")
    form = page.locator(f"#act-{action} form")
    if fill:
        fill(form)
    form.locator("button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    assert page.locator(".error").count() == 0, page.locator(".error").all_inner_texts()
    assert page.locator(".flash").count() and "已" in page.locator(".flash").first.inner_text()


def photo(name):
    return {"name": name, "mimeType": "image/png", "buffer": PNG}


def test_a_case_goes_round_the_whole_loop(browser, server, tmp_path):
    shots = tmp_path / "cases"
    shots.mkdir()

    # 1. The resident, on a phone, taps the map where the problem is and adds a photo.
    resident = log_in(browser, server, "resident", PHONE)
    resident.goto(server.url + "/cases/report/")
    resident.wait_for_selector("#map[data-loaded]")
    resident.locator("#map").click()
    resident.wait_for_function("document.getElementById('place-result').textContent.includes('所在网格')")
    assert resident.locator("#id_lng").input_value() and resident.locator("#id_lat").input_value()
    resident.fill("#id_text", "小区东门垃圾堆了三天，没人清运")
    resident.set_input_files("#id_photos", [photo("scene.png")])
    assert resident.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    resident.screenshot(path=str(shots / "1-resident-report.png"), full_page=True)
    resident.click("#report-form button[type=submit]")
    resident.wait_for_selector("#case-number")
    number = resident.locator("#case-number").inner_text()
    assert re.fullmatch(r"WG-\d{4}-\d{6}", number)
    assert number in resident.locator(".flash").inner_text()
    assert resident.locator("#timeline img").count() == 1
    resident.screenshot(path=str(shots / "2-resident-number.png"), full_page=True)

    # 2. The community files it as 暴露垃圾 and sends it up to the street.
    community = log_in(browser, server, "community")
    open_from_inbox(community, server, "sort", number)
    act(community, "accept", lambda f: f.locator("select[name=accept-category]").select_option("0101"))
    assert community.locator("#case-status").inner_text() == "待派遣"
    act(community, "escalate", lambda f: f.locator("textarea").fill("需要城管部门处置"))
    community.screenshot(path=str(shots / "3-community-accept.png"), full_page=True)

    # 3. The street dispatcher finds it in the dispatch inbox; the lead department is preselected.
    dispatcher = log_in(browser, server, "dispatcher")
    open_from_inbox(dispatcher, server, "dispatch", number)
    assert dispatcher.locator("select[name=dispatch-lead]").input_value() == "510502-CG"
    act(dispatcher, "dispatch")
    assert dispatcher.locator("#case-status").inner_text() == "待签收"
    dispatcher.screenshot(path=str(shots / "4-street-dispatch.png"), full_page=True)

    # 4. The department signs for it and reports the result with a photo.
    handler = log_in(browser, server, "handler")
    open_from_inbox(handler, server, "department", number)
    assert "剩余" in handler.locator(".facts").inner_text()
    act(handler, "start")
    act(
        handler,
        "handle",
        lambda f: (
            f.locator("textarea").fill("已清运，现场清洁"),
            f.locator("input[type=file]").set_input_files([photo("done.png")]),
        ),
    )
    assert handler.locator("#case-status").inner_text() == "待核查"
    handler.screenshot(path=str(shots / "5-department-handle.png"), full_page=True)

    # 5. The grid worker checks on site, on a phone, with a photo.
    gridworker = log_in(browser, server, "gridworker", PHONE)
    open_from_inbox(gridworker, server, "verify", number)
    act(gridworker, "verify", lambda f: f.locator("input[type=file]").set_input_files([photo("check.png")]))
    assert gridworker.locator("#case-status").inner_text() == "待结案"
    assert gridworker.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    gridworker.screenshot(path=str(shots / "6-gridworker-verify.png"), full_page=True)

    # 6. The street closes it; the resident rates it on the phone.
    dispatcher.reload()
    act(dispatcher, "close")
    assert dispatcher.locator("#case-status").inner_text() == "已结案"
    open_from_inbox(resident, server, "mine", number)
    act(resident, "rate", lambda f: f.locator("input[value=satisfied]").check())
    assert resident.locator("#case-status").inner_text() == "已评价"
    timeline = resident.locator("#timeline").inner_text()
    for step in ("上报", "受理立案", "派遣", "办结反馈", "现场核查", "结案", "评价"):
        assert step in timeline
    resident.screenshot(path=str(shots / "7-resident-rate.png"), full_page=True)
    assert len(list(shots.glob("*.png"))) == 7
