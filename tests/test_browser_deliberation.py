"""One matter through the six steps of 议事协商 in a real Chromium against a real gunicorn serving
the demo city, each step by the demo account that does it: the resident proposes on a phone, a
neighbour supports, the grid worker hears it and puts it on a meeting's agenda, the community
records attendance and minutes and opens the vote, three residents' representatives vote on their
phones, the community publishes the result and hands out a task, the grid worker reports it done,
and the resident rates the result.

Screenshots of every step are saved under the test's output folder."""

import pytest

from tests.demo_site import DemoServer
from tests.test_browser import CHROMIUM, CHROMIUM_ARGS  # noqa: F401  (skips the module without Chromium)

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
TITLE = "单元楼下增设快递柜"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    site = DemoServer(tmp_path_factory.mktemp("browser-deliberation"))
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
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(server.url + "/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "wangge-demo-2026")
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    return page


def open_matter(page, server):
    page.goto(server.url + "/deliberation/?q=" + TITLE)
    page.click(f"a.title:text('{TITLE}')")
    page.wait_for_selector("#matter-status")


def submit(page, selector):
    page.click(selector)
    page.wait_for_load_state("networkidle")
    assert page.locator(".flash.error").count() == 0, page.locator(".flash").all_inner_texts()


def status(page) -> str:
    return page.locator("#matter-status").inner_text()


def fits_phone(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_a_matter_goes_through_the_six_steps(browser, server, tmp_path):
    shots = tmp_path / "deliberation"
    shots.mkdir()

    # 1. 居民提事: the resident proposes, on a phone, for their grid.
    resident = log_in(browser, server, "resident", PHONE)
    resident.goto(server.url + "/deliberation/new/")
    resident.select_option("#id_place", "510502001001001")
    resident.fill("#id_title", TITLE)
    resident.fill("#id_description", "快递堆在单元门口，老人取件不便，建议在楼下增设智能快递柜。")
    # The place on the map: a tap fills the point and names the grid it falls in.
    resident.wait_for_selector("#map[data-loaded]")
    resident.locator("#map").click()
    resident.wait_for_function("document.getElementById('place-result').textContent.includes('所在网格')")
    assert fits_phone(resident)
    resident.screenshot(path=str(shots / "1-propose.png"), full_page=True)
    submit(resident, "form button.primary")
    assert status(resident) == "征集附议"
    resident.wait_for_selector("#matter-map[data-loaded]")

    # A neighbour supports it.
    neighbour = log_in(browser, server, "voter4", PHONE)
    open_matter(neighbour, server)
    submit(neighbour, "#support")
    assert "1 人" in neighbour.locator("#support-count").inner_text()

    # 2. 网格听事: the grid worker takes it up and puts it on the grid's meeting.
    grid_worker = log_in(browser, server, "gridworker", PHONE)
    open_matter(grid_worker, server)
    submit(grid_worker, "#hearing form:has(button:text('受理听事')) button")
    assert status(grid_worker) == "网格听事"
    grid_worker.select_option(
        "#schedule-meeting", label=grid_worker.locator("#schedule-meeting option").nth(1).inner_text()
    )
    submit(grid_worker, "#hearing form:has(#schedule-meeting) button")
    assert status(grid_worker) == "待议事"
    grid_worker.screenshot(path=str(shots / "2-hear.png"), full_page=True)

    # 3. 社区议事: the community records who came and the minutes, then opens the vote.
    community = log_in(browser, server, "community")
    open_matter(community, server)
    community.click("dd a[href*='/deliberation/meetings/']")
    community.wait_for_selector("#meeting-status")
    for username in ("voter1", "voter2", "voter3"):
        community.locator("#participants li", has_text=username).locator("input[type=checkbox]").check()
    submit(community, "#save-attendance")
    community.fill("#minutes textarea[name=minutes]", "到会居民代表3人。讨论增设快递柜的位置和费用，物业同意提供场地。")
    submit(community, "#hold")
    assert community.locator("#meeting-status").inner_text() == "已召开"
    community.screenshot(path=str(shots / "3-meeting.png"), full_page=True)
    open_matter(community, server)
    submit(community, "#vote button:text('发起表决')")

    # 4. 民主定事: three representatives vote on their phones; the community publishes.
    for username in ("voter1", "voter2", "voter3"):
        voter = log_in(browser, server, username, PHONE)
        open_matter(voter, server)
        voter.check("#vote input[value=yes]")
        submit(voter, "#cast")
        assert "您已投票：同意" in voter.locator("#vote").inner_text()
        assert fits_phone(voter)
        voter.context.close()
    open_matter(community, server)
    submit(community, "#publish")
    assert community.locator("#vote-result").inner_text() == "表决通过"
    assert "应投 3，同意 3" in community.locator("#vote").inner_text()
    assert status(community) == "已表决通过"
    community.screenshot(path=str(shots / "4-decide.png"), full_page=True)

    # 5. 协同办事: a task for the grid worker, who reports it done; the matter is done.
    community.evaluate("document.querySelector('#tasks details').open = true")
    community.fill("#tasks input[name=title]", "联系快递柜运营商安装")
    community.fill("#tasks input[name=owner_username]", "gridworker")
    submit(community, "#tasks button.primary")
    assert status(community) == "协同办事"
    assert "已完成 0 / 1" in community.locator("#progress").inner_text()
    open_matter(grid_worker, server)
    grid_worker.fill("#tasks input[name=note]", "快递柜已安装并投入使用")
    submit(grid_worker, "#tasks button:text('完成')")
    assert status(grid_worker) == "已办结待评价"
    grid_worker.screenshot(path=str(shots / "5-carry-out.png"), full_page=True)

    # 6. 居民评事: the resident rates the result; the rating is published with the decision.
    open_matter(resident, server)
    resident.check("#evaluation input[value=satisfied]")
    resident.fill("#evaluation textarea[name=comment]", "取件方便多了")
    submit(resident, "#rate")
    text = resident.locator("#evaluation").inner_text()
    assert "满意率 100%" in text and "取件方便多了" in text
    assert fits_phone(resident)
    resident.screenshot(path=str(shots / "6-evaluate.png"), full_page=True)

    # Another street sees none of it.
    other = log_in(browser, server, "dispatcher2")
    other.goto(server.url + "/deliberation/?q=" + TITLE)
    assert other.locator(f"a.title:text('{TITLE}')").count() == 0
