"""Who may do what in `casefile web`, through Starlette's TestClient on a real register."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import select

from casefile.app import App
from casefile.db.models import Document, Event
from tests.web.conftest import PERSONNUMMER, SECRET_TITLE, Client, make_app

DOC = "SFG 26-01.01"


def signature(app: App, number: str = DOC) -> str | None:
    with app.sessions() as s:
        return s.scalars(select(Document.signature).where(Document.diarienummer == number)).one()


def sign_form(csrf: str | None, **more: str) -> dict[str, str]:
    data = {"act": "sign", "ref": DOC, "back": "/dokument", **more}
    if csrf is not None:
        data["csrf"] = csrf
    return data


def test_a_proxy_header_from_an_untrusted_address_is_refused(web_app: App) -> None:
    # Given the registrar's name in the header, but from an address that is not the proxy
    forged = Client(web_app, "anna@forbund.test", address="10.1.2.3")
    page = forged.get("/dokument")
    assert page.status_code == 403
    assert "betrodd proxy" in page.text and DOC not in page.text
    assert 'class="ok"' not in page.text  # a refusal is never dressed as a success
    # Then an act from there is refused before the form is read, and nothing is signed
    honest = Client(web_app, "anna@forbund.test")
    token = honest.csrf()
    assert forged.post("/akt", sign_form(token)).status_code == 403
    assert signature(web_app) is None
    # An unknown user behind the real proxy, and no header at all, are refused too
    assert Client(web_app, "mallory@evil.test").get("/dokument").status_code == 403
    assert Client(web_app, None).get("/dokument").status_code == 401


def test_a_form_without_its_csrf_token_is_refused(web_app: App) -> None:
    client = Client(web_app, "anna@forbund.test")
    assert client.post("/akt", sign_form(None)).status_code == 403
    assert client.post("/akt", sign_form("0" * 64)).status_code == 403
    # Another user's token does not fit this user
    other = Client(web_app, "bo@forbund.test")
    other.http.cookies = client.http.cookies
    assert other.post("/akt", sign_form(client.csrf())).status_code == 403
    assert signature(web_app) is None
    # With the page's token the same form signs, as the logged-in user
    done = client.post("/akt", sign_form(client.csrf()))
    assert done.status_code == 303, done.text
    assert signature(web_app) == "AKH"


def test_a_läsare_cannot_act_or_read_the_inbox(web_app: App) -> None:
    reader = Client(web_app, "lars@forbund.test")
    token = reader.csrf()
    page = reader.get(f"/arende/{DOC}")
    assert page.status_code == 200 and 'value="sign"' not in page.text
    refused = reader.post("/akt", sign_form(token))
    assert refused.status_code == 403 and "roll" in refused.text
    assert signature(web_app) is None
    assert reader.get("/inkorg").status_code == 403
    assert reader.get("/inkorg/3").status_code == 403
    # A handläggare may sign but not cancel (a registrator's act)
    officer = Client(web_app, "bo@forbund.test")
    cancel = {"act": "cancel", "ref": DOC, "reason": "Dubblett", "csrf": officer.csrf()}
    assert officer.post("/akt", cancel).status_code == 403


def test_no_one_can_act_in_another_s_initials(web_app: App) -> None:
    officer = Client(web_app, "bo@forbund.test")
    token = officer.csrf()
    # Every name a form could use for the actor is ignored
    forged = {"by": "AKH", "initials": "AKH", "actor": "AKH", "signature": "AKH"}
    assert officer.post("/akt", sign_form(token, **forged)).status_code == 303
    note = {"act": "note", "ref": DOC, "text": "Ringde", "csrf": token, **forged}
    assert officer.post("/akt", note).status_code == 303
    assert signature(web_app) == "BE"
    with web_app.sessions() as s:
        actors = s.scalars(
            select(Event.actor).where(Event.action.in_(("document_signed", "note")))
        ).all()
    assert sorted(actors) == ["BE", "BE"]


def _text(page: str) -> str:
    return re.sub(r"<[^>]+>", " ", page)


def test_nothing_secret_in_the_public_diary_or_to_a_läsare(web_app: App) -> None:
    # The registrar sees the secret document's title and sender (so the checks below can fail)
    staff = Client(web_app, "anna@forbund.test")
    full = staff.get("/arende/SFG 26-02.01").text
    assert "SAFE" in full and "OSL 21 kap. 1 §" in full
    assert "sara.lind" in staff.get("/export/diarium?from=2026-01-01&to=2026-12-31").text
    secret = ("SAFE", "sara.lind", "Sara Lind", PERSONNUMMER, "121212")
    public = Client(web_app, None)
    reader = Client(web_app, "lars@forbund.test")
    pages = [
        public.get("/diarium?from=2026-01-01&to=2026-12-31"),
        public.get("/diarium?from=2026-01-01&to=2026-12-31&q=hemlig"),
        reader.get("/dokument"),
        reader.get("/dokument?q=SAFE"),
        reader.get("/arende/SFG 26-02.01"),
        reader.get("/arende/SFG 26-02"),
        # A läsare's diary export is the public version, whatever the form asks
        reader.get("/export/diarium?from=2026-01-01&to=2026-12-31"),
    ]
    for page in pages:
        assert page.status_code == 200, page.url
        text = _text(page.text).replace("”SAFE”", "")  # the reader's own query, echoed
        for word in secret:
            assert word not in text, (page.url, word)
    assert SECRET_TITLE in pages[0].text and SECRET_TITLE in pages[1].text
    assert "0 träffar" in pages[3].text
    assert "Kärnhuset" in pages[0].text  # the public diary still lists what is public
    # The public diary needs no login, offers no staff page, and sets no session
    assert "logga ut" not in pages[0].text.lower() and "casefile_session" not in str(
        pages[0].cookies
    )


def test_local_login_and_cookie_flags(db_url: str, tmp_path: Path) -> None:
    app = make_app(db_url, tmp_path, auth="local")
    try:
        client = Client(app, None)
        assert client.get("/dokument").headers["location"] == "/login"
        login = client.get("/login")
        token = re.search(r'name="csrf" value="([^"]+)"', login.text)
        assert token and 'lang="sv"' in login.text
        nonce = login.headers["set-cookie"].lower()
        assert "httponly" in nonce and "samesite=lax" in nonce
        bad = client.post("/login", {"user": "mallory", "csrf": token.group(1)})
        assert bad.status_code == 400 and "finns inte" in bad.text
        assert client.post("/login", {"user": "anna@forbund.test"}).status_code == 403
        ok = client.post("/login", {"user": "anna@forbund.test", "csrf": token.group(1)})
        assert ok.status_code == 303
        session = ok.headers["set-cookie"].lower()
        assert "httponly" in session and "samesite=lax" in session
        assert "AKH" in client.get("/dokument").text
    finally:
        app.engine.dispose()
    # Behind the proxy every cookie is Secure
    proxied = Client(make_app(db_url.replace(".db", "2.db"), tmp_path / "p"), "anna@forbund.test")
    assert "secure" in proxied.get("/dokument").headers["set-cookie"].lower()


def test_acts_return_only_to_this_site(web_app: App) -> None:
    client = Client(web_app, "anna@forbund.test")
    token = client.csrf()
    for back in ("//evil.test/x", "/\\evil.test", "https://evil.test/"):
        note = {"act": "note", "ref": DOC, "text": "x", "csrf": token, "back": back}
        done = client.post("/akt", note)
        assert done.status_code == 303 and done.headers["location"].startswith("/dokument?")


def test_a_public_only_server_has_no_staff_pages(web_app: App) -> None:
    from starlette.testclient import TestClient

    from casefile.web.app import create_app

    public = TestClient(create_app(web_app, public_only=True), client=("127.0.0.1", 1))
    headers = {"X-Remote-User": "anna@forbund.test"}
    assert public.get("/diarium", headers=headers).status_code == 200
    for path in ("/dokument", "/arende/SFG 26-01", "/inkorg", "/export/diarium", "/status"):
        assert public.get(path, headers=headers).status_code == 404
