"""A second copy of one insats's report from another party, through the real intake path: a new
case, flagged for staff in `show` and the inbox with the `casefile move` that files it."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from email import message_from_bytes, policy

from sqlalchemy import select

from casefile.app import App
from casefile.db.models import Case
from intake.outgoing import queue_digest
from tests.staff.conftest import at, poll, report, run
from tests.support.dovecot import Account
from tests.support.mail import message

FLAG = 'samma insats som SFG 26-01? Om så: casefile move "SFG 26-02.01" --to "SFG 26-01"'


def test_same_report_from_another_sender_is_flagged_and_offered_for_move(
    intake_app: App, account: Account, config_file: str
) -> None:
    """Given Steget Vidare's report from the region, when the same report comes from a
    municipality's address, then it opens SFG 26-02 flagged "samma insats som SFG 26-01?" with
    the move command, shown in full by `casefile show` and listed by `casefile inbox`; the
    offered move files it in SFG 26-01 and the flag goes."""
    steget = report("r03_right_sdt_overspent.docx")
    for sender, day in (("Eva Ek <eva.ek@region.test>", 3), ("Per Holm <per@ovanaker.test>", 4)):
        account.append(bytes(message(sender=sender, attachments=[("rapport.docx", steget)])),
                       at(day))  # fmt: skip
    poll(intake_app)
    with intake_app.sessions() as s:
        flags = dict(s.execute(select(Case.number, Case.flag).order_by(Case.id)).all())
    assert flags == {"SFG 26-01": None, "SFG 26-02": FLAG}
    code, out, err = run(config_file, "show", "SFG 26-02", columns=80)
    assert code == 0, err
    assert f"SFG 26-02.01: {FLAG}" in " ".join(out.split())
    code, out, _ = run(config_file, "inbox", "--json")
    (item,) = json.loads(out)
    assert item["sender"] == "per@ovanaker.test" and item["flags"] == [FLAG]
    staff = dataclasses.replace(
        intake_app.settings.reminders, staff_address="registrator@finsam.test"
    )
    with intake_app.sessions() as s, s.begin():
        row = queue_digest(
            s, dataclasses.replace(intake_app.settings, reminders=staff), dt.date(2026, 2, 5)
        )
        assert row is not None
        digest = message_from_bytes(row.raw, policy=policy.default)
    text = digest.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "SFG 26-02.01  inkom 2026-02-04" in text and f"Obs: {FLAG}" in " ".join(text.split())
    code, _, err = run(config_file, "move", "SFG 26-02.01", "--to", "SFG 26-01")
    assert code == 0, err
    assert json.loads(run(config_file, "inbox", "--json")[1]) == []
