"""A register for the web pages: real intake (a Maildir, polled) fills it with two reports and
a newsletter for the inbox; one document is then marked secret. The pages are Starlette's
TestClient (security tests) or a real uvicorn served to headless Chromium (browser tests)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from casefile.app import App
from casefile.register import mark_secrecy
from intake.mail.poll import poll_all
from tests.intake.conftest import build_app
from tests.support.mail import REPORTS, message

USERS = {
    "anna@forbund.test": {"initials": "AKH", "role": "registrator"},
    "bo@forbund.test": {"initials": "BE", "role": "handläggare"},
    "lars@forbund.test": {"initials": "LS", "role": "läsare"},
}
PERSONNUMMER = "19121212-1212"
SECRET_TITLE = "Hemlig insats"


def web_section(auth: str = "proxy", **more: Any) -> dict[str, object]:
    return {
        "auth": auth,
        "trusted_proxies": ["127.0.0.1"],
        "public_diary": True,
        "users": USERS,
        **more,
    }


def fill(app: App, maildir: Path) -> None:
    """Two reports and a newsletter through the real intake; 26-02.01 then marked secret."""
    for sub in ("new", "cur", "tmp"):
        (maildir / sub).mkdir(parents=True, exist_ok=True)
    post = [
        message(
            attachments=[("slutrapport.docx", (REPORTS / "r01_cell_iso_endash.docx").read_bytes())],
            date=dt.datetime(2026, 2, 3, 9, tzinfo=dt.UTC),
        ),
        message(
            sender="Sara Lind <sara.lind@norrdala.test>",
            subject=f"Rapport om {PERSONNUMMER}",
            attachments=[("SAFE.docx", (REPORTS / "r02_row_compact_nbsp.docx").read_bytes())],
            date=dt.datetime(2026, 2, 5, 9, tzinfo=dt.UTC),
        ),
        message(
            sender="Nyheter <info@nyhetsbrev.test>",
            subject="Nyhetsbrev februari",
            body="Välkommen till vårt seminarium om samverkan.",
            attachments=[("program.txt", "Program för seminariet".encode())],
            date=dt.datetime(2026, 2, 6, 9, tzinfo=dt.UTC),
        ),
    ]
    for i, msg in enumerate(post, start=1):
        (maildir / "new" / f"{i}.kontakt").write_bytes(bytes(msg))
    results = poll_all(app)
    assert all(r.ok for r in results), [r.error for r in results]
    with app.sessions() as s, s.begin():
        mark_secrecy(s, app.settings, "SFG 26-02.01", "OSL 21 kap. 1 §", SECRET_TITLE, "AKH")


def make_app(db_url: str, tmp_path: Path, auth: str = "proxy") -> App:
    maildir = tmp_path / "maildir"
    box: dict[str, object] = {"name": "kontakt", "type": "maildir", "path": str(maildir)}
    app = build_app(db_url, tmp_path, box, web=web_section(auth))
    fill(app, maildir)
    return app


@pytest.fixture
def web_app(db_url: str, tmp_path: Path) -> Iterator[App]:
    app = make_app(db_url, tmp_path)
    yield app
    app.engine.dispose()


class Client:
    """TestClient as one user behind the trusted proxy (client address 127.0.0.1)."""

    def __init__(self, app: App, user: str | None, address: str = "127.0.0.1") -> None:
        from casefile.web.app import create_app

        self.http = TestClient(
            create_app(app),
            base_url="https://testserver",
            client=(address, 50000),
            follow_redirects=False,
        )
        self.headers = {"X-Remote-User": user} if user else {}

    def get(self, url: str, **kw: Any) -> Any:
        return self.http.get(url, headers=self.headers, **kw)

    def post(self, url: str, data: dict[str, str], **kw: Any) -> Any:
        return self.http.post(url, data=data, headers=self.headers, **kw)

    def csrf(self, url: str = "/dokument") -> str:
        import re

        page = self.get(url)
        assert page.status_code == 200, page.text
        found = re.search(r'name="csrf-token" content="([^"]+)"', page.text)
        assert found, "no CSRF token on the page"
        return found.group(1)
