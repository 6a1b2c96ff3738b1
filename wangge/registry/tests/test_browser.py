"""The ledgers in a real Chromium on a phone-sized screen, against the demo served by gunicorn:
a grid worker goes from the due list to the door-knock form and submits it, reveals one ID
number with a reason (htmx swaps it in), and finds a house in the move picker."""

import re

import pytest

from tests.test_browser import browser, log_in, server  # noqa: F401 - fixtures

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}


def fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_a_grid_worker_visits_from_the_due_list_on_a_phone(browser, server, tmp_path):  # noqa: F811
    page = log_in(browser, server, "gridworker", viewport=PHONE)
    page.goto(server.url + "/registry/due/")
    assert "待走访" in page.locator("h1").inner_text()
    first = page.locator(".due li").first
    name = first.locator("strong").inner_text()
    with page.expect_navigation():
        first.locator("a[href$='/visit/']").click()
    assert page.url.endswith("/visit/") and fits_the_screen(page)
    page.locator("input[name=met]").first.check()
    page.fill("textarea[name=notes]", "老人在家，精神不错")
    done = page.locator("input[name$='_done']")
    assert done.count() >= 1
    done.first.check()
    page.fill("textarea[name=problem_text]", "楼道扶手松动")
    page.select_option("select[name=problem_category]", "safety")
    page.screenshot(path=str(tmp_path / "visit-form.png"), full_page=True)
    assert page.evaluate("document.querySelectorAll('form :invalid').length") == 0  # the date is filled in
    with page.expect_navigation():
        page.click("button.primary.block")
    # The visit page: the care observation of the person from the due list, and the problem.
    assert "已记录走访" in page.content() and "楼道扶手松动" in page.content()
    assert name in page.locator("main").inner_text()


def test_revealing_an_id_number_swaps_it_in_and_needs_a_reason(browser, server):  # noqa: F811
    page = log_in(browser, server, "gridworker", viewport=PHONE)
    page.goto(server.url + "/registry/")
    with page.expect_navigation():
        page.locator("table a[href^='/registry/residents/']").first.click()
    masked = page.locator("dd code").first.inner_text()
    assert "********" in masked and fits_the_screen(page)
    box = page.locator(".reveal").first
    box.locator("input[name=reason]").fill("核")
    box.locator("button").click()
    page.wait_for_selector("text=至少2个字")
    box = page.locator(".reveal").first
    box.locator("input[name=reason]").fill("办理居住证核对")
    box.locator("button").click()
    page.wait_for_selector("code.revealed")
    clear = page.locator("code.revealed").inner_text()
    assert re.fullmatch(r"[0-9]{17}[0-9X]", clear) and clear[:6] == masked[:6] and clear[-4:] == masked[-4:]
    assert page.url.endswith("/")  # swapped in place, no navigation


def test_the_move_picker_finds_houses_as_one_types(browser, server):  # noqa: F811
    page = log_in(browser, server, "community", viewport=PHONE)
    page.goto(server.url + "/registry/houses/")
    compound = page.locator("table tbody td a").first.inner_text()[:2]
    page.goto(server.url + "/registry/")
    with page.expect_navigation():
        page.locator("table a[href^='/registry/residents/']").first.click()
    with page.expect_navigation():
        page.locator("a[href$='/move/']").click()
    page.fill("input[name=q]", compound)
    page.wait_for_selector("#house-choices input[name=household]")
    assert page.locator("#house-choices input[name=household]").count() >= 1 and fits_the_screen(page)


def test_a_house_page_s_buttons_do_not_overlap_on_a_phone(browser, server):  # noqa: F811
    page = log_in(browser, server, "gridworker", viewport=PHONE)
    page.goto(server.url + "/registry/houses/1/")
    boxes = [link.bounding_box() for link in page.locator("main a.button").all()]
    assert len(boxes) >= 4 and fits_the_screen(page)

    def apart(a, b) -> bool:
        return (
            a["x"] + a["width"] <= b["x"] + 1
            or b["x"] + b["width"] <= a["x"] + 1
            or a["y"] + a["height"] <= b["y"] + 1
            or b["y"] + b["height"] <= a["y"] + 1
        )

    assert all(apart(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1 :])
    # The map's zoom buttons speak the page's language too.
    page.goto(server.url + "/cases/report/")
    page.wait_for_selector(".leaflet-control-zoom-in")
    assert page.locator(".leaflet-control-zoom-in").get_attribute("title") == "放大"


def test_a_refused_visit_form_shows_its_first_error_on_a_phone(browser, server):  # noqa: F811
    page = log_in(browser, server, "gridworker", viewport=PHONE)
    page.goto(server.url + "/registry/houses/2/visit/")
    page.fill("textarea[name=problem_text]", "楼道灯不亮")  # a problem without its category
    with page.expect_navigation():
        page.click("button.primary.block")
    error = page.locator("main form .error").first
    assert error.is_visible()
    box = error.bounding_box()
    assert 0 <= box["y"] and box["y"] + box["height"] <= PHONE["height"]  # on the screen, not below it
    assert page.evaluate("document.activeElement.name") == "problem_category"


def test_the_menu_leaves_a_phone_screen_to_the_page(browser, server):  # noqa: F811
    page = log_in(browser, server, "gridworker", viewport=PHONE)
    page.goto(server.url + "/registry/due/")
    header = page.locator("header.topbar").bounding_box()
    assert header["height"] < PHONE["height"] * 0.16 and fits_the_screen(page)
    menu = page.locator("header.topbar nav")
    assert menu.evaluate("nav => nav.scrollWidth > nav.clientWidth")  # the rest of the menu scrolls into view
    last = menu.locator("a").last
    last.scroll_into_view_if_needed()
    assert last.is_visible()
