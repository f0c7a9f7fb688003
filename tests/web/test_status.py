"""The Status page's "Kör kontroll": the checks of `intake check`, on a button, for the staff
who act; here on a real register whose Maildir and folder SMTP pass without a network."""

from __future__ import annotations

import re

import pytest

from casefile.app import App
from tests.web.conftest import Client


def lines(page: str) -> list[str]:
    found = re.findall(r'<li class="check-(\w+)">(.*?)</li>', page, re.S)
    return [f"{status} {re.sub(r'<[^>]+>', '', text).strip()}" for status, text in found]


def test_the_status_page_runs_intake_check_on_a_button(
    web_app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    officer = Client(web_app, "bo@forbund.test")
    page = officer.get("/status")
    assert "Kör kontroll" in page.text and not lines(page.text)  # never on a page load
    # Without its CSRF token the button's form is refused
    assert officer.post("/status", {}).status_code == 403
    done = officer.post("/status", {"csrf": officer.csrf("/status")})
    assert done.status_code == 200, done.text
    shown = lines(done.text)
    # One line per check, its outcome in words as well as the mark
    assert "ok ✓ Fungerar – databas: nåbar, schemaversion" in "\n".join(shown)
    assert any(s.startswith("ok ✓ Fungerar – brevlåda kontakt: Maildir") for s in shown)
    assert any(s.startswith("ok ✓ Fungerar – SMTP (mapp):") for s in shown)
    assert all(s.startswith("ok ") for s in shown), shown
    assert f"{len(shown)} fungerar, 0 varningar, 0 fel" in done.text
    # A läsare sees no button and cannot run it, even with a valid token
    reader = Client(web_app, "lars@forbund.test")
    assert "Kör kontroll" not in reader.get("/status").text
    refused = reader.post("/status", {"csrf": reader.csrf("/status")})
    assert refused.status_code == 403 and not lines(refused.text)
    # In English
    monkeypatch.setenv("CASEFILE_LANG", "en")
    english = officer.post("/status", {"csrf": officer.csrf("/status")})
    assert "Run check" in english.text
    assert any(s.startswith("ok ✓ Works – mailbox kontakt:") for s in lines(english.text))
