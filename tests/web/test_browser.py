"""The pages in a real browser: Debian's headless Chromium through chromedriver (Selenium), on a
real uvicorn serving a register that intake filled. Nothing is downloaded: the browser is the
system's, axe-core is vendored in tests/web/support/ (MPL-2.0, from `npm pack axe-core`).

One browser session for the module. Screenshots land in tmp/artifacts/web/ (or
$CASEFILE_ARTIFACTS).
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import uvicorn
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import select

from casefile.app import App
from casefile.commands.web import server_config
from casefile.db.models import Document
from casefile.web.app import create_app
from tests.web.conftest import make_app

AXE = (Path(__file__).parent / "support" / "axe.min.js").read_text(encoding="utf-8")
ARTIFACTS = Path(os.environ.get("CASEFILE_ARTIFACTS", "tmp/artifacts")) / "web"
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(tmp_path_factory: pytest.TempPathFactory, auth: str) -> Iterator[tuple[App, str]]:
    tmp = tmp_path_factory.mktemp("web")
    app = make_app(f"sqlite:///{tmp / 'web.db'}", tmp, auth=auth)
    port = _free_port()
    server = uvicorn.Server(server_config(create_app(app), "127.0.0.1", port))  # as served
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield app, f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)
    app.engine.dispose()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[App, str]]:
    yield from _serve(tmp_path_factory, "proxy")


@pytest.fixture(scope="module")
def served_local(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[App, str]]:
    """The demo's login (auth = "local"), for its page."""
    yield from _serve(tmp_path_factory, "local")


@pytest.fixture(scope="module")
def browser() -> Iterator[webdriver.Chrome]:
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,900"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.execute_cdp_cmd("Network.enable", {})
    # The office's proxy in front: it sets the logged-in user's header on every request.
    driver.execute_cdp_cmd(
        "Network.setExtraHTTPHeaders", {"headers": {"X-Remote-User": "anna@forbund.test"}}
    )
    yield driver
    driver.quit()


def javascript(driver: webdriver.Chrome, on: bool) -> None:
    driver.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": not on})


def test_the_proxy_s_forwarded_for_does_not_hide_the_proxy(served: tuple[App, str]) -> None:
    """Behind nginx the request carries X-Forwarded-For (the user's address): the trusted-proxy
    check must still see the proxy that connected."""
    import urllib.request

    request = urllib.request.Request(
        served[1] + "/dokument",
        headers={"X-Remote-User": "anna@forbund.test", "X-Forwarded-For": "10.20.30.40"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200 and "AKH" in response.read().decode()


def active(driver: webdriver.Chrome) -> WebElement:
    return driver.switch_to.active_element


def tab_to(driver: webdriver.Chrome, wanted: Callable[[WebElement], bool], limit: int = 80) -> None:
    """Press Tab until the focused element is the wanted one (only the keyboard moves)."""
    for _ in range(limit):
        active(driver).send_keys(Keys.TAB)
        if wanted(active(driver)):
            return
    raise AssertionError("Tab never reached the element")


def text_is(text: str) -> Callable[[WebElement], bool]:
    """A link or button whose words begin with `text`."""
    return lambda e: e.tag_name in ("a", "button") and e.text.strip().startswith(text)


def id_is(name: str) -> Callable[[WebElement], bool]:
    return lambda e: e.get_attribute("id") == name


def wait_text(driver: webdriver.Chrome, text: str) -> None:
    WebDriverWait(driver, 10).until(lambda d: text in d.find_element(By.TAG_NAME, "body").text)


def signature(app: App, number: str) -> tuple[str | None, bool]:
    with app.sessions() as s:
        d = s.scalars(select(Document).where(Document.diarienummer == number)).one()
        return d.signature, d.cancelled


def registrar_flow(driver: webdriver.Chrome, base: str, number: str, js: bool) -> None:
    """List → document → sign → note → cancel, with Tab, Enter and typing only."""
    driver.get(f"{base}/dokument")
    expected = "object" if js else "undefined"
    assert driver.execute_script("return typeof htmx") == expected
    tab_to(driver, lambda e: e.get_attribute("class") == "skip")  # the skip link comes first
    tab_to(driver, text_is(number))
    # Visible focus: the focused link draws its outline
    outline = (
        "const s = getComputedStyle(document.activeElement);"
        " return [s.outlineStyle, s.outlineWidth]"
    )
    style, width = driver.execute_script(outline)
    assert style != "none" and width != "0px"
    active(driver).send_keys(Keys.ENTER)
    wait_text(driver, f"Ärende {number[:9]}")
    driver.execute_script("window.casefileMarker = 1")  # survives an htmx swap, not a load
    tab_to(driver, id_is("sign"))
    active(driver).send_keys(Keys.ENTER)
    wait_text(driver, f"{number} är signerat av AKH")
    assert driver.execute_script("return window.casefileMarker || 0") == (1 if js else 0)
    if js:  # the result is announced: focus on the message, its words in the live region
        assert active(driver).get_attribute("id") == "message"
        announced = driver.find_element(By.ID, "announce").get_attribute("textContent")
        assert f"{number} är signerat av AKH" in (announced or "")
    tab_to(driver, id_is("note-text"))
    active(driver).send_keys("Ringde om underskriften")
    tab_to(driver, text_is("Spara anteckning"))
    active(driver).send_keys(Keys.ENTER)
    wait_text(driver, "Anteckningen är sparad")
    # Cancel without a reason first: the error summary, its link takes focus to the field
    tab_to(driver, text_is("Makulera"))
    active(driver).send_keys(Keys.ENTER)
    wait_text(driver, "Fyll i Skäl")
    tab_to(
        driver,
        lambda e: (
            e.get_attribute(
                "href",
            )
            is not None
            and (e.get_attribute("href") or "").endswith("#cancel-reason")
        ),
    )
    active(driver).send_keys(Keys.ENTER)
    assert active(driver).get_attribute("id") == "cancel-reason"
    active(driver).send_keys("Dubblett")
    tab_to(driver, text_is("Makulera"))
    active(driver).send_keys(Keys.ENTER)
    wait_text(driver, f"{number} är makulerat")


def test_a_registrar_s_week_with_the_keyboard_only(
    served: tuple[App, str], browser: webdriver.Chrome
) -> None:
    app, base = served
    javascript(browser, True)
    registrar_flow(browser, base, "SFG 26-01.01", js=True)
    assert signature(app, "SFG 26-01.01") == ("AKH", True)
    history = browser.find_element(By.ID, "history-title").find_element(By.XPATH, "..").text
    assert "Ringde om underskriften" in history and "Dubblett" in history


def test_the_same_week_with_javascript_off(
    served: tuple[App, str], browser: webdriver.Chrome
) -> None:
    app, base = served
    javascript(browser, False)
    try:
        registrar_flow(browser, base, "SFG 26-02.01", js=False)
    finally:
        javascript(browser, True)
    assert signature(app, "SFG 26-02.01") == ("AKH", True)


def test_from_the_inbox_to_a_closed_case_and_the_export(
    served: tuple[App, str], browser: webdriver.Chrome, tmp_path: Path
) -> None:
    """Read the mail, register its attachment, correct it, close the case, download the diary:
    the keyboard alone."""
    app, base = served
    javascript(browser, True)
    browser.execute_cdp_cmd(
        "Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(tmp_path)}
    )
    browser.get(f"{base}/inkorg")
    tab_to(browser, text_is("Läs"))
    active(browser).send_keys(Keys.ENTER)
    wait_text(browser, "Välkommen till vårt seminarium")
    tab_to(browser, id_is("register-title-1"))
    active(browser).send_keys("Seminarieprogram")
    tab_to(browser, text_is("Registrera 1"))
    active(browser).send_keys(Keys.ENTER)
    wait_text(browser, "Registrerad som SFG 26-03.01")
    tab_to(browser, id_is("correct-value"))  # the field list starts at the title (Insats)
    active(browser).send_keys("Seminarieprogram 2026")
    tab_to(browser, text_is("Rätta"))
    active(browser).send_keys(Keys.ENTER)
    wait_text(browser, "SFG 26-03.01 är rättat")
    tab_to(browser, text_is("Avsluta ärendet"))
    active(browser).send_keys(Keys.ENTER)
    wait_text(browser, "Ärendet SFG 26-03 är avslutat")
    tab_to(browser, text_is("Export"))
    active(browser).send_keys(Keys.ENTER)
    wait_text(browser, "Diarieförteckning")
    tab_to(browser, text_is("Ladda ned"))
    active(browser).send_keys(Keys.ENTER)
    deadline = time.monotonic() + 10
    while not list(tmp_path.glob("diarium-*.csv")):
        assert time.monotonic() < deadline, "the diary was not downloaded"
        time.sleep(0.1)
    [csv] = tmp_path.glob("diarium-*.csv")
    assert "Seminarieprogram 2026" in csv.read_text(encoding="utf-8-sig")
    with app.sessions() as s:
        d = s.scalars(select(Document).where(Document.diarienummer == "SFG 26-03.01")).one()
        assert d.title == "Seminarieprogram 2026" and d.case.status == "closed"


def _axe(driver: webdriver.Chrome) -> list[dict[str, Any]]:
    driver.execute_script(AXE)
    driver.set_script_timeout(30)
    result = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {runOnly: {type: 'tag', values: arguments[0]}})"
        ".then(r => done(r.violations)).catch(e => done([{id: 'axe-error', help: String(e)}]));",
        WCAG,
    )
    return list(result)


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_every_page_passes_axe_and_is_photographed(
    served: tuple[App, str],
    served_local: tuple[App, str],
    browser: webdriver.Chrome,
    lang: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app, base = served
    monkeypatch.setenv("CASEFILE_LANG", lang)  # the server runs in this process
    javascript(browser, True)
    with app.engine.connect() as conn:
        from casefile.queries import inbox_json

        mail_id = inbox_json(conn, include_handled=True)[0]["id"]
    pages = {
        "login": served_local[1] + "/login",
        "saknas": "/inkorg/99999",
        "dokument": "/dokument",
        "sok": "/dokument?q=Kärnhuset",
        "fel": "/dokument?since=31%2F12",
        "arende": "/arende/" + quote("SFG 26-01"),
        "handling": "/arende/" + quote("SFG 26-02.01"),
        "inkorg": "/inkorg",
        "brev": f"/inkorg/{mail_id}",
        "utkorg": "/utkorg",
        "export": "/export",
        "registrera": "/registrera",
        "status": "/status",
        "diarium": "/diarium?from=2026-01-01",
    }
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    problems = {}

    def look(name: str) -> None:
        assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == lang
        violations = _axe(browser)
        if violations:
            problems[name] = [(v["id"], v.get("help"), len(v.get("nodes", []))) for v in violations]
        browser.save_screenshot(str(ARTIFACTS / f"{name}-{lang}-1280.png"))
        browser.set_window_size(390, 844)
        browser.save_screenshot(str(ARTIFACTS / f"{name}-{lang}-390.png"))
        # Reflow (WCAG 1.4.10): no sideways scrolling of the page; a table scrolls in its region
        wide = browser.execute_script(
            "const d = document.documentElement; return d.scrollWidth > d.clientWidth"
        )
        if wide:
            problems[name + "-390"] = [("reflow", "the page scrolls sideways at 390 px", 1)]

    for name, path in pages.items():
        browser.set_window_size(1280, 900)
        browser.get(path if path.startswith("http") else base + path)
        look(name)
    # The lines of `intake check`, after the Status page's button (a POST, so not above)
    browser.set_window_size(1280, 900)
    browser.get(base + "/status")
    browser.find_element(By.CSS_SELECTOR, "form[action='/status'] button").click()
    WebDriverWait(browser, 30).until(lambda d: d.find_elements(By.CSS_SELECTOR, "ul.checks li"))
    look("kontroll")
    assert not problems, json.dumps(problems, ensure_ascii=False, indent=1)
    # axe is really looking: an image without a text alternative is reported
    browser.execute_script("document.getElementById('main').append(document.createElement('img'))")
    assert "image-alt" in {v["id"] for v in _axe(browser)}
