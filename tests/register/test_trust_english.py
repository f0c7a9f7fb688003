"""`casefile show` on sender trust (contact, flag, moves) in English with CASEFILE_LANG=en."""

from __future__ import annotations

from click.testing import CliRunner

from casefile.app import App
from casefile.cli import cli
from tests.register.test_trust import KOMMUN_A, MALLORY, register


def run(config: str, *args: str, lang: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--config", config, *args], env={"CASEFILE_LANG": lang})
    return result.exit_code, result.stdout, result.stderr


def test_show_says_contact_flag_and_move_in_english(app: App, config_file: str) -> None:
    """Given a case with a candidate contact and Mallory's flagged case, when staff read `show`
    in English before and after `contact` and `move`, then those lines are English; in Swedish
    they stay Swedish."""
    register(app, sender=KOMMUN_A, contact_email="third.party@victim.test", organisation="A")
    register(app, sender=MALLORY, subject="Re: SFG 26-01", organisation="Evil AB")

    code, out, _ = run(config_file, "show", "SFG 26-01", lang="en")
    assert code == 0 and "Contact in the form (not confirmed): third.party@victim.test" in out
    code, out, _ = run(config_file, "show", "SFG 26-02", lang="en")
    assert "Note: hänvisar till SFG 26-01" in out and "Obs:" not in out

    code, _, err = run(config_file, "contact", "SFG 26-01", KOMMUN_A, "--by", "AKH", lang="en")
    assert code == 0, err
    code, _, err = run(
        config_file, "move", "SFG 26-02.01", "--to", "SFG 26-01", "--by", "AKH", lang="en"
    )
    assert code == 0, err
    code, out, _ = run(config_file, "show", "SFG 26-01", lang="en")
    assert f"Contact: {KOMMUN_A} (confirmed by AKH)" in out and "bekräftad" not in out
    code, out, _ = run(config_file, "show", "SFG 26-02", lang="en")
    assert "SFG 26-02.01: from SFG 26-02 to SFG 26-01" in out and " till " not in out

    code, out, _ = run(config_file, "show", "SFG 26-01", lang="sv")
    assert f"Kontakt: {KOMMUN_A} (bekräftad av AKH)" in out
    code, out, _ = run(config_file, "show", "SFG 26-02", lang="sv")
    assert "SFG 26-02.01: från SFG 26-02 till SFG 26-01" in out
