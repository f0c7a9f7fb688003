"""Sender verdicts from Authentication-Results (RFC 8601): pure parsing and rules.

The header values are written as real servers write them (Postfix with OpenDKIM/OpenDMARC,
Microsoft 365, Gmail, rspamd), comments and quoting included, not in one tidy shape.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from intake.mail.authresults import (
    aligned,
    judge,
    judge_message,
    parse_header,
    trusted_header,
)
from intake.outgoing.rules import acknowledge_denial

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


def test_the_detail_staff_read_names_each_check_and_its_domain() -> None:
    """Given a header as Postfix writes it, then the detail names dkim, spf and dmarc with the
    domains they checked, in the order written, and leaves the rest out."""
    value = (
        "mx.finsam.test 1; (kommentar; med semikolon) arc=pass; "
        'DKIM/1=Pass (2048-bit) header.i="@bollnas.test" header.d=Bollnas.test header.s=sel; '
        'spf = softfail smtp.helo=mx.bollnas.test smtp.mailfrom="anna\\"x\\"@bollnas.test"; '
        "dmarc=fail (p=none) header.from=bollnas.test policy.dmarc=none; auth=pass smtp.auth=a"
    )
    result = judge(trusted_header([value], OURS), "anna.berg@bollnas.test")
    assert result.verdict == "failed"
    assert result.detail == (
        "mx.finsam.test: dkim=pass header.d=Bollnas.test header.i=@bollnas.test; "
        'spf=softfail smtp.mailfrom=anna"x"@bollnas.test; dmarc=fail header.from=bollnas.test'
    )


def test_the_detail_without_results_or_sender() -> None:
    assert judge(parse_header(f"{OURS}; none"), "anna@bollnas.test").detail == (
        f"{OURS}: inga resultat"
    )
    no_sender = judge(parse_header(f"{OURS}; dkim=pass header.d=bollnas.test"), None)
    assert (no_sender.verdict, no_sender.detail) == (
        "unknown",
        f"{OURS}: dkim=pass header.d=bollnas.test",
    )
    long = judge(parse_header(f"{OURS}; dkim=pass header.d={'x' * 600}"), "a@b.test").detail
    assert len(long) == 500 and long.startswith(f"{OURS}: dkim=pass header.d=xxx")


@pytest.mark.parametrize(
    ("value", "results"),
    [
        # A quoted authserv-id, a property given twice (the first counts)
        (
            '"mx.finsam.test"; spf=pass smtp.mailfrom=a@b.test smtp.mailfrom=c@d.test',
            [("spf", "pass", {"smtp.mailfrom": "a@b.test"})],
        ),
        # Nested comments, and a comment with a quote in it
        (
            'mx.finsam.test; spf=pass (a (nested "x) comment) smtp.mailfrom=a@b.test',
            [("spf", "pass", {"smtp.mailfrom": "a@b.test"})],
        ),
        # Semicolons, spaces and parentheses inside a quoted value belong to it
        (
            'mx.finsam.test; spf=pass reason="a; b (c)" smtp.mailfrom=a@b.test',
            [("spf", "pass", {"reason": "a; b (c)", "smtp.mailfrom": "a@b.test"})],
        ),
        # An escaped quote and backslash inside quotes; a quoted result
        (
            'mx.finsam.test; dkim="pass" header.i="a\\\\b\\"c"',
            [("dkim", "pass", {"header.i": 'a\\b"c'})],
        ),
        # An escaped parenthesis outside a comment is kept
        ("mx.finsam.test; dkim=pass header.i=a\\(b", [("dkim", "pass", {"header.i": "a\\(b"})]),
        # An unmatched ")" is kept; junk without "=" is skipped; a property without a value too
        (
            "mx.finsam.test; x) ; spf=fail junk smtp.mailfrom=a@b.test",
            [("spf", "fail", {"smtp.mailfrom": "a@b.test"})],
        ),
        ('mx.finsam.test; dkim=pass header.d="', [("dkim", "pass", {"header.d": '"'})]),
    ],
)
def test_parse_header_reads_what_servers_write(
    value: str, results: list[tuple[str, str, dict[str, str]]]
) -> None:
    header = parse_header(value)
    assert header is not None and header.authserv_id == "mx.finsam.test"
    assert [(r.method, r.result, r.properties) for r in header.results] == results


def test_a_header_without_an_authserv_id_is_none() -> None:
    assert parse_header("  ; spf=pass") is None
    assert parse_header("(bara en kommentar)") is None
    assert trusted_header([f"{OURS}; dmarc=pass"], "  ") is None


def test_an_outer_comment_hides_everything_in_it() -> None:
    header = parse_header(f"{OURS}; (spf=pass smtp.mailfrom=a@b.test; dkim=pass) dmarc=none")
    assert header is not None
    assert [(r.method, r.result) for r in header.results] == [("dmarc", "none")]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # DMARC for another domain neither fails nor verifies; the others decide
        (f"{OURS}; dmarc=fail header.from=other.test; dkim=pass header.d=bollnas.test", "verified"),
        # DMARC without header.from is about the From domain
        (f"{OURS}; dmarc=pass", "verified"),
        (f"{OURS}; dmarc=fail", "failed"),
        (f"{OURS}; dmarc=none; spf=fail smtp.mailfrom=bollnas.test", "unknown"),
        # SPF falls back to the HELO name; DKIM to header.i
        (f"{OURS}; spf=pass smtp.helo=mx.bollnas.test", "verified"),
        (f"{OURS}; dkim=pass header.i=@mail.bollnas.test", "verified"),
        (f"{OURS}; dkim=fail header.d=bollnas.test; spf=pass smtp.mailfrom=x.test", "unknown"),
        (f"{OURS}; dkim=fail header.d=bollnas.test; spf=neutral", "unknown"),
        (f"{OURS}; arc=fail", "unknown"),
        (f"{OURS}; dkim=pass header.d=bollnas.test.", "verified"),
        (f"{OURS}; spf=pass smtp.mailfrom=<Anna@BOLLNAS.test>", "verified"),
    ],
)
def test_verdicts_method_by_method(value: str, expected: str) -> None:
    assert verdict(value) == expected


def test_acknowledge_denials_say_why() -> None:
    assert acknowledge_denial("unless_failed", "failed") == (
        "avsändaren kunde inte verifieras (autentiseringen misslyckades)"
    )
    assert acknowledge_denial("verified", "failed") == (
        "avsändaren kunde inte verifieras (autentiseringen misslyckades)"
    )
    assert acknowledge_denial("verified", "unknown") == (
        "avsändaren är inte verifierad (mail.acknowledge = verified)"
    )


def test_judge_message_reads_folded_headers_top_down_and_says_when_unset() -> None:
    raw = (
        b"Authentication-Results: mx.evil.test;\r\n dmarc=pass header.from=bollnas.test\r\n"
        b"Authentication-Results: mx.finsam.test;\r\n\tdmarc=fail\r\n header.from=bollnas.test\r\n"
        b"From: anna.berg@bollnas.test\r\n\r\nHej\r\n"
    )
    assert judge_message(raw, "anna.berg@bollnas.test", OURS) == (
        "failed",
        "mx.finsam.test: dmarc=fail header.from=bollnas.test",
    )
    assert judge_message(raw, "anna.berg@bollnas.test", " ") == (
        "unknown",
        "mail.trusted_authserv_id är inte satt: avsändaren kontrolleras inte",
    )


def test_without_a_from_address_nothing_is_verified() -> None:
    for value in (f"{OURS}; dkim=pass", f"{OURS}; dmarc=pass", f"{OURS}; spf=pass"):
        assert judge(parse_header(value), None).verdict == "unknown"


@pytest.mark.parametrize(
    ("value", "results"),
    [
        # A comment after a quoted value is still a comment, semicolons and all
        (
            'mx.finsam.test; dkim=pass header.i="@bollnas.test" (signerad; x=y) header.d=b.test',
            [("dkim", "pass", {"header.i": "@bollnas.test", "header.d": "b.test"})],
        ),
        # A comment inside a comment ends only with the outer one
        (
            "mx.finsam.test; spf=pass (yttre (inre) och sedan; x=y) smtp.mailfrom=a@b.test",
            [("spf", "pass", {"smtp.mailfrom": "a@b.test"})],
        ),
        # An escaped character escapes only itself: the comment after it is still one
        (
            "mx.finsam.test; dkim=pass header.i=a\\(b (not; spf=fail) header.d=b.test",
            [("dkim", "pass", {"header.i": "a\\(b", "header.d": "b.test"})],
        ),
        # An SRS envelope sender has "=" in its value: the key ends at the first one
        (
            "mx.finsam.test; spf=pass smtp.mailfrom=SRS0=abcd=TT=bollnas.test=anna@fwd.test",
            [("spf", "pass", {"smtp.mailfrom": "SRS0=abcd=TT=bollnas.test=anna@fwd.test"})],
        ),
    ],
)
def test_comments_quotes_escapes_and_srs(
    value: str, results: list[tuple[str, str, dict[str, str]]]
) -> None:
    header = parse_header(value)
    assert header is not None
    assert [(r.method, r.result, r.properties) for r in header.results] == results


def test_an_empty_quoted_value_is_empty() -> None:
    header = parse_header('mx.finsam.test; dkim=pass header.d=""')
    assert header is not None and header.results[0].properties == {"header.d": ""}
    assert judge(header, "anna@bollnas.test").detail == "mx.finsam.test: dkim=pass header.d="


def test_an_aland_domain_in_capitals_is_still_the_same_domain() -> None:
    # .ax ends in an x: nothing but case and brackets may be taken off an address
    value = f"{OURS}; dmarc=pass header.from=kommun.ax"
    assert verdict(value, sender="Anna@KOMMUN.AX") == "verified"


def test_one_passing_check_for_another_domain_keeps_a_failure_from_being_certain() -> None:
    value = f"{OURS}; spf=fail smtp.mailfrom=bollnas.test; dkim=pass header.d=other.test"
    assert verdict(value) == "unknown"


@pytest.mark.parametrize(
    ("value", "expected", "detail"),
    [
        (f"{OURS}; dkim=pass; spf=fail", "unknown", "dkim=pass; spf=fail"),
        (
            f"{OURS}; dkim=pass header.d=bollnas.test; arc=pass",
            "verified",
            "dkim=pass header.d=bollnas.test",
        ),
        (
            f"{OURS}; spf=pass smtp.mailfrom=a@bollnas.test",
            "verified",
            "spf=pass smtp.mailfrom=a@bollnas.test",
        ),
        (
            f"{OURS}; spf=softfail; dkim=fail header.d=bollnas.test",
            "failed",
            "spf=softfail; dkim=fail header.d=bollnas.test",
        ),
    ],
)
def test_every_verdict_carries_the_detail(value: str, expected: str, detail: str) -> None:
    result = judge(parse_header(value), "anna.berg@bollnas.test")
    assert (result.verdict, result.detail) == (expected, f"{OURS}: {detail}")
