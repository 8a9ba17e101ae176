"""The county console in a real browser (Debian's Chromium through selenium) against the whole system: a township
committee signs in, sees its targets, records an outflow through a form (first refused beside the field the API
names), sees the member listed as away and exports the list to CSV whose rows match the API; a branch secretary
cannot open another branch; /docs and /redoc render from this machine alone. Screenshots of the main pages are
saved under .data/screenshots/ (git-ignored)."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from services.kernel.settings import Settings
from services.pure.identity import Role
from tests.e2e.chromium import Browser
from tests.e2e.conftest import bearer, branch_body, member_body

SCREENSHOTS = Path(__file__).resolve().parents[2] / ".data" / "screenshots"
WAIT = 30


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    opened = Browser()
    try:
        yield opened
    finally:
        opened.close()


def _token(headers: dict[str, str]) -> str:
    return headers["Authorization"].removeprefix("Bearer ")


def _wait(driver: WebDriver) -> WebDriverWait[WebDriver]:
    return WebDriverWait(driver, WAIT)


def _sign_in(driver: WebDriver, base: str, token: str) -> None:
    driver.delete_all_cookies()
    driver.get(f"{base}/console")
    field = _wait(driver).until(ec.presence_of_element_located((By.ID, "token")))
    assert driver.find_element(By.CSS_SELECTOR, "label[for=token]").text == "令牌"
    field.send_keys(token)
    driver.find_element(By.ID, "sign-in").click()
    _wait(driver).until(ec.presence_of_element_located((By.ID, "role")))


def _shot(driver: WebDriver, name: str) -> None:
    driver.save_screenshot(str(SCREENSHOTS / f"{name}.png"))


def _set(driver: WebDriver, name: str, value: str) -> None:
    """Type into a text input; date inputs take their ISO value directly (their typing order follows the locale)."""
    element = driver.find_element(By.ID, name)
    if element.get_attribute("type") in ("date", "month"):
        driver.execute_script("arguments[0].value = arguments[1];", element, value)
    else:
        element.clear()
        element.send_keys(value)


async def _branch_with_members(gateway: httpx.AsyncClient, admin: dict[str, str], township: str,
                               count: int) -> tuple[str, list[str]]:
    branch = await gateway.post("/v1/branches", headers=admin,
                                json=branch_body(home_org_id=township, established_on="2026-03-01"))
    assert branch.status_code == 201, branch.text
    branch_id = str(branch.json()["id"])
    members = []
    for i in range(count):
        member = await gateway.post("/v1/members", headers=admin,
                                    json=member_body(branch_id, name=f"Console Member {i} {uuid.uuid4().hex[:4]}"))
        assert member.status_code == 201, member.text
        members.append(str(member.json()["id"]))
    # Read our own writes before the browser does: the pages then show them.
    seen = await gateway.get(f"/v1/members/{members[-1]}", headers=admin,
                             params={"min_position": member.json()["position"]})
    assert seen.status_code == 200, seen.text
    return branch_id, members


async def test_a_township_committee_records_an_outflow_and_exports_what_the_api_lists(
        gateway: httpx.AsyncClient, admin_headers: dict[str, str], system: Settings, browser: Browser) -> None:
    township = f"township-console-{uuid.uuid4().hex[:6]}"
    branch_id, (member_id, _other) = await _branch_with_members(gateway, admin_headers, township, 2)
    committee = bearer(system, Role.TOWNSHIP_COMMITTEE, township)
    base = str(gateway.base_url).rstrip("/")
    driver = browser.driver

    _sign_in(driver, base, _token(committee))
    assert driver.find_element(By.ID, "role").text == "乡镇党委"
    assert driver.find_element(By.TAG_NAME, "h1").text.startswith("需要办理的事")
    _shot(driver, "01-home-township")

    # Its targets: its township met the 30 June target with the branch established in March.
    driver.get(f"{base}/console/targets?year=2026")
    row = _wait(driver).until(ec.presence_of_element_located(
        (By.XPATH, f"//table[@id='township-targets']//tr[td[1][text()='{township}']]")))
    assert row.find_element(By.CSS_SELECTOR, "td.status").text == "达标"
    assert driver.find_elements(By.CSS_SELECTOR, "svg.chart")
    _shot(driver, "02-targets")

    # The member's row links to the outflow form, filled in with the member.
    driver.get(f"{base}/console/lists/members?formal_org_id={branch_id}")
    link = _wait(driver).until(ec.presence_of_element_located(
        (By.CSS_SELECTOR, f"tr[data-id='{member_id}'] a[href*='/forms/outflow']")))
    link.click()
    _wait(driver).until(ec.presence_of_element_located((By.ID, "destination")))
    assert driver.find_element(By.ID, "member_id").get_attribute("value") == member_id
    for field in ("destination", "employer", "phone", "left_on", "expected_months"):  # every input has its label
        assert driver.find_element(By.CSS_SELECTOR, f"label[for={field}]").text
    _set(driver, "destination", "苏州工业园区")
    _set(driver, "employer", "Suzhou Precision Works")
    _set(driver, "phone", "12")  # too short: the API refuses it, naming contact.phone
    _set(driver, "left_on", "2026-11-20")
    _set(driver, "expected_months", "8")
    _shot(driver, "03-outflow-form")
    driver.find_element(By.ID, "submit").click()
    error = _wait(driver).until(ec.presence_of_element_located((By.ID, "phone-error")))
    # Beside the phone field, in Chinese, with the API's own number (its problem+json errors carry the limits).
    assert error.text == "至少 5 个字符", error.text
    assert driver.find_element(By.ID, "phone").get_attribute("aria-invalid") == "true"
    assert driver.find_element(By.ID, "destination").get_attribute("value") == "苏州工业园区"
    assert not driver.find_elements(By.ID, "destination-error")
    _shot(driver, "04-outflow-refused")

    _set(driver, "phone", "+86 139 0000 0000")
    driver.find_element(By.ID, "submit").click()
    # The result page reads the member at the command's position: away at once, never the old state.
    away = _wait(driver).until(ec.presence_of_element_located((By.ID, "away")))
    assert "min_position=" in driver.current_url
    assert away.text == "是"
    assert driver.find_element(By.ID, "destination").text == "苏州工业园区"

    driver.get(f"{base}/console/lists/members?formal_org_id={branch_id}&away=true")
    listed = _wait(driver).until(ec.presence_of_element_located((By.CSS_SELECTOR, f"tr[data-id='{member_id}']")))
    assert "是" in listed.text and "苏州工业园区" in listed.text
    assert len(driver.find_elements(By.CSS_SELECTOR, "table#list tbody tr")) == 1
    _shot(driver, "05-members-away")

    driver.find_element(By.ID, "export-csv").click()
    exported = browser.downloads / "members.csv"
    _wait(driver).until(lambda _: exported.exists() and exported.stat().st_size > 0)
    rows = list(csv.reader(io.StringIO(exported.read_text(encoding="utf-8-sig"))))
    api = await gateway.get("/v1/members", headers=committee,
                            params={"formal_org_id": branch_id, "away": "true", "limit": 500})
    assert api.status_code == 200
    items: list[dict[str, Any]] = api.json()["items"]
    assert rows[0][:2] == ["姓名", "党员编号"]
    assert [(r[0], r[1], r[5]) for r in rows[1:]] == [
        (i["name"], i["member_id"], i["outflow"]["destination"]) for i in items]
    assert [r[1] for r in rows[1:]] == [member_id]

    # English as a switch.
    driver.get(f"{base}/console")
    driver.find_element(By.LINK_TEXT, "English").click()
    _wait(driver).until(ec.text_to_be_present_in_element((By.TAG_NAME, "h1"), "What needs doing"))
    driver.find_element(By.LINK_TEXT, "中文").click()
    _wait(driver).until(ec.text_to_be_present_in_element((By.TAG_NAME, "h1"), "需要办理的事"))


async def test_a_branch_secretary_cannot_see_another_branch(
        gateway: httpx.AsyncClient, admin_headers: dict[str, str], system: Settings, browser: Browser) -> None:
    township = f"township-console-{uuid.uuid4().hex[:6]}"
    own, own_members = await _branch_with_members(gateway, admin_headers, township, 1)
    other, other_members = await _branch_with_members(gateway, admin_headers, township, 1)
    secretary = bearer(system, Role.BRANCH_SECRETARY, own)
    base = str(gateway.base_url).rstrip("/")
    driver = browser.driver
    _sign_in(driver, base, _token(secretary))
    assert driver.find_element(By.ID, "role").text == "支部书记"
    _shot(driver, "06-home-branch-secretary")

    driver.get(f"{base}/console/lists/members")
    _wait(driver).until(ec.presence_of_element_located((By.ID, "list")))
    shown = {row.get_attribute("data-id") for row in driver.find_elements(By.CSS_SELECTOR, "table#list tbody tr")}
    api = await gateway.get("/v1/members", headers=secretary, params={"limit": 500})
    assert shown == {i["member_id"] for i in api.json()["items"]}
    assert own_members[0] in shown and other_members[0] not in shown

    name = (await gateway.get(f"/v1/members/{other_members[0]}", headers=admin_headers)).json()["name"]
    for path in (f"/console/lists/members?formal_org_id={other}", f"/console/organisations/{other}/ledger",
                 f"/console/members/{other_members[0]}"):
        driver.get(base + path)
        problem = _wait(driver).until(ec.presence_of_element_located((By.ID, "problem")))
        assert problem.text, path
        assert "403" in driver.find_element(By.TAG_NAME, "h1").text, path
        assert name not in driver.page_source, path
    _shot(driver, "07-another-branch-refused")


async def test_a_form_posted_without_the_console_s_csrf_token_is_refused_and_writes_nothing(
        gateway: httpx.AsyncClient, admin_headers: dict[str, str], system: Settings) -> None:
    township = f"township-console-{uuid.uuid4().hex[:6]}"
    _branch, (member_id,) = await _branch_with_members(gateway, admin_headers, township, 1)
    committee = _token(bearer(system, Role.TOWNSHIP_COMMITTEE, township))
    form = {"member_id": member_id, "destination": "Xiamen", "employer": "E", "phone": "+86 139 0000 0000",
            "left_on": "2026-11-20", "expected_months": "8", "csrf": "forged"}
    async with httpx.AsyncClient(base_url=gateway.base_url, cookies={"gb_console_token": committee}) as browserless:
        answer = await browserless.post("/console/forms/outflow", data=form)
    assert answer.status_code == 403
    member = await gateway.get(f"/v1/members/{member_id}", headers=admin_headers)
    assert member.json()["away"] is False


async def test_the_api_docs_render_from_this_machine_alone(gateway: httpx.AsyncClient, browser: Browser) -> None:
    base = str(gateway.base_url).rstrip("/")
    driver = browser.driver
    driver.get(f"{base}/docs")
    _wait(driver).until(ec.presence_of_element_located((By.CSS_SELECTOR, ".opblock")))
    paths = {e.get_attribute("data-path") for e in driver.find_elements(By.CSS_SELECTOR, ".opblock-summary-path")}
    assert {"/v1/members", "/v1/members/{member_id}/outflows", "/v1/reports/year-end"} <= paths
    _shot(driver, "08-docs")
    loaded = driver.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    assert loaded and all(url.startswith(base) for url in loaded), loaded

    driver.get(f"{base}/redoc")
    _wait(driver).until(ec.text_to_be_present_in_element((By.TAG_NAME, "h1"), "Golden Bridge API"))
    assert driver.find_elements(By.XPATH, "//*[contains(text(), '/v1/members/{member_id}/outflows')]")
    _shot(driver, "09-redoc")
    # Redoc's footer logo points at its CDN: the page's policy stops the browser fetching it.
    elsewhere = [url for url in driver.execute_script("return performance.getEntriesByType('resource')"
                                                      ".map(e => e.name)") if not url.startswith(base)]
    blocked = " ".join(entry["message"] for entry in driver.get_log("browser") if "Content Security Policy"
                       in entry["message"])
    assert all(url in blocked for url in elsewhere), (elsewhere, blocked)
