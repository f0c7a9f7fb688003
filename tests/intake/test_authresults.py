"""Sender verdicts from Authentication-Results (RFC 8601): pure parsing and rules.

The header values are written as real servers write them (Postfix with OpenDKIM/OpenDMARC,
Microsoft 365, Gmail, rspamd), comments and quoting included, not in one tidy shape.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from intake.mail.authresults import (
    acknowledge_denial,
    aligned,
    judge,
    judge_message,
    parse_header,
    trusted_header,
)

OURS = "mx.finsam.test"


def verdict(*values: str, sender: str = "anna.berg@bollnas.test") -> str:
    return judge(trusted_header(values, OURS), sender).verdict


def test_parse_header_reads_methods_properties_and_ignores_comments() -> None:
    header = parse_header(
        "mx.finsam.test 1; (a comment; with a semicolon) "
        'dkim=pass (2048-bit key) header.d=bollnas.test header.i="@bollnas.test" '
        "header.s=sel1; spf = pass smtp.mailfrom=anna.berg@bollnas.test; "
        "dmarc=pass (p=REJECT sp=REJECT dis=NONE) header.from=bollnas.test"
    )
    assert header is not None
    assert header.authserv_id == "mx.finsam.test"
    assert [(r.method, r.result) for r in header.results] == [
        ("dkim", "pass"),
        ("spf", "pass"),
        ("dmarc", "pass"),
    ]
    assert header.results[0].properties["header.i"] == "@bollnas.test"
    assert header.results[1].properties["smtp.mailfrom"] == "anna.berg@bollnas.test"


def test_no_result_header_has_no_results() -> None:
    header = parse_header("mx.finsam.test; none")
    assert header is not None and header.results == ()


def test_dmarc_pass_for_the_from_domain_is_verified() -> None:
    assert verdict(f"{OURS}; dmarc=pass header.from=bollnas.test") == "verified"


def test_dmarc_fail_is_failed_even_with_an_spf_pass() -> None:
    value = f"{OURS}; spf=pass smtp.mailfrom=evil.example; dmarc=fail header.from=bollnas.test"
    assert verdict(value) == "failed"


def test_dkim_pass_aligned_with_a_subdomain_is_verified() -> None:
    value = f"{OURS}; dkim=pass header.d=mail.bollnas.test; dmarc=none"
    assert verdict(value) == "verified"


def test_dkim_pass_for_another_domain_is_not_verified() -> None:
    """A mailing service signing with its own domain says nothing about the From domain."""
    value = f"{OURS}; dkim=pass header.d=sendgrid.example; spf=pass smtp.mailfrom=sendgrid.example"
    assert verdict(value) == "unknown"


def test_spf_pass_aligned_is_verified() -> None:
    assert verdict(f"{OURS}; spf=pass smtp.mailfrom=bounce@bollnas.test") == "verified"


def test_only_spf_and_dkim_failures_without_dmarc_is_failed() -> None:
    value = f"{OURS}; spf=softfail smtp.mailfrom=bollnas.test; dkim=fail header.d=bollnas.test"
    assert verdict(value) == "failed"


def test_neutral_and_temperror_decide_nothing() -> None:
    assert verdict(f"{OURS}; spf=neutral smtp.mailfrom=bollnas.test; dkim=temperror") == "unknown"


def test_another_servers_header_is_ignored() -> None:
    """Anyone can write Authentication-Results; only our own server's is believed."""
    assert verdict("mx.evil.example; dmarc=pass header.from=bollnas.test") == "unknown"
    assert verdict("mx.evil.example; dmarc=fail header.from=bollnas.test") == "unknown"


def test_the_topmost_header_of_our_server_wins_over_a_forged_one_below() -> None:
    """Our server prepends its header; a forged one with our id sits below it."""
    ours = f"{OURS}; dmarc=fail header.from=bollnas.test"
    forged = f"{OURS}; dmarc=pass header.from=bollnas.test"
    assert verdict(ours, forged) == "failed"


def test_authserv_id_compares_without_case() -> None:
    assert verdict("MX.Finsam.TEST; dmarc=pass header.from=bollnas.test") == "verified"


def test_dmarc_result_for_another_domain_does_not_count() -> None:
    value = f"{OURS}; dmarc=pass header.from=other.example"
    assert verdict(value) == "unknown"


def test_no_trusted_id_configured_means_unknown() -> None:
    raw = b"Authentication-Results: mx.finsam.test; dmarc=pass header.from=bollnas.test\r\n"
    raw += b"From: anna.berg@bollnas.test\r\n\r\nHej\r\n"
    assert judge_message(raw, "anna.berg@bollnas.test", "")[0] == "unknown"
    got, detail = judge_message(raw, "anna.berg@bollnas.test", OURS)
    assert got == "verified" and "dmarc=pass" in detail


def test_alignment_needs_more_than_a_top_level_domain() -> None:
    assert aligned("bollnas.test", "mail.bollnas.test")
    assert not aligned("test", "bollnas.test")
    assert not aligned("evilbollnas.test", "bollnas.test")


@pytest.mark.parametrize(
    ("policy", "verdict_", "allowed"),
    [
        ("unless_failed", "verified", True),
        ("unless_failed", "unknown", True),
        ("unless_failed", "failed", False),
        ("verified", "unknown", False),
        ("verified", "verified", True),
        ("always", "failed", True),
        ("verified", None, True),  # registered by staff: they decide themselves
    ],
)
def test_acknowledge_policy(policy: str, verdict_: str | None, allowed: bool) -> None:
    assert (acknowledge_denial(policy, verdict_) is None) is allowed  # type: ignore[arg-type]


@given(st.text(max_size=300))
def test_parsing_any_text_never_raises(value: str) -> None:
    header = parse_header(value)
    judge(header, "anna.berg@bollnas.test")


def test_a_pass_that_names_no_domain_verifies_nothing() -> None:
    """A dkim=pass without header.d/header.i, or an spf=pass without smtp.mailfrom, says
    nothing about the From domain."""
    assert verdict(f"{OURS}; dkim=pass") == "unknown"
    assert verdict(f"{OURS}; spf=pass") == "unknown"
    assert not aligned("", "bollnas.test") and not aligned("bollnas.test", "")


def test_alignment_works_both_ways_whatever_the_alphabet() -> None:
    # A subdomain that sorts before its parent ("a." < "b") is still aligned, in either order
    assert aligned("a.bollnas.test", "bollnas.test")
    assert aligned("bollnas.test", "a.bollnas.test")
    assert verdict(f"{OURS}; dkim=pass header.d=a.bollnas.test") == "verified"


def test_a_message_without_authentication_results_is_unknown() -> None:
    raw = b"From: anna.berg@bollnas.test\r\nSubject: Hej\r\n\r\nHej\r\n"
    assert judge_message(raw, "anna.berg@bollnas.test", OURS) == (
        "unknown",
        "ingen Authentication-Results från vår egen server",
    )
