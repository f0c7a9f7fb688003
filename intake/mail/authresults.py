"""Who really sent a message: the verdict of our own receiving server (RFC 8601).

Our mail server checks SPF, DKIM and DMARC and writes the outcome into an
`Authentication-Results` header naming itself (its authserv-id). Anyone can write such a header
into a message, so only headers carrying `mail.trusted_authserv_id` are read, and of those only
the topmost one: our server prepends its header above anything the sender wrote (RFC 8601 §5).

The verdict:
- verified: DMARC pass for the From domain, or SPF or DKIM pass for a domain aligned with it;
- failed: DMARC fail, or (without a DMARC result) every SPF/DKIM result is a failure;
- unknown: no trusted header, or nothing that decides either way (none, neutral, temperror).

Everything here is pure: bytes or strings in, a verdict out.
"""

from __future__ import annotations

import email.parser
import email.policy
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from casefile.states import AuthVerdict

Policy = Literal["verified", "unless_failed", "always"]
DETAIL_LIMIT = 500


@dataclass(frozen=True)
class MethodResult:
    """One `method=result` of a header, with its ptype.property=value pairs."""

    method: str
    result: str
    properties: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class AuthHeader:
    authserv_id: str
    results: tuple[MethodResult, ...]


@dataclass(frozen=True)
class SenderVerdict:
    verdict: AuthVerdict
    detail: str  # one line, for staff: what the trusted server said (or why we know nothing)


def _strip_comments(value: str) -> str:
    """Remove (nested) comments outside quoted strings; keep the rest as written."""
    out: list[str] = []
    depth = 0
    quoted = False
    escaped = False
    for ch in value:
        if escaped:
            if depth == 0:
                out.append(ch)
            escaped = False
            continue
        if ch == "\\":
            escaped = True
            if depth == 0:
                out.append(ch)
            continue
        if quoted:
            out.append(ch)
            if ch == '"':
                quoted = False
            continue
        if ch == "(":
            depth += 1
            continue
        if ch == ")" and depth:
            depth -= 1
            continue
        if depth:
            continue
        if ch == '"':
            quoted = True
        out.append(ch)
    return "".join(out)


def _split_outside_quotes(value: str, sep: str) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    quoted = False
    for ch in value:
        if ch == '"':
            quoted = not quoted
        if ch == sep and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    return parts


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1].replace('\\"', '"').replace("\\\\", "\\")
    return value


def _tokens(resinfo: str) -> list[str]:
    """'dkim = pass header.d=x' -> ['dkim=pass', 'header.d=x']: '=' may carry spaces."""
    squeezed = " ".join(resinfo.split())
    squeezed = squeezed.replace(" =", "=").replace("= ", "=")
    return [t for t in _split_outside_quotes(squeezed, " ") if t]


def parse_header(value: str) -> AuthHeader | None:
    """One Authentication-Results value; None when it has no authserv-id at all."""
    parts = _split_outside_quotes(_strip_comments(value), ";")
    head = parts[0].split()
    if not head:
        return None
    authserv_id = _unquote(head[0]).lower()
    results: list[MethodResult] = []
    for resinfo in parts[1:]:
        tokens = _tokens(resinfo)
        if not tokens or "=" not in tokens[0]:
            continue  # "none", or junk: no result to read
        method, _, result = tokens[0].partition("=")
        props: dict[str, str] = {}
        for token in tokens[1:]:
            key, eq, val = token.partition("=")
            if eq:
                props.setdefault(key.lower(), _unquote(val))
        results.append(MethodResult(method.split("/")[0].lower(), _unquote(result).lower(), props))
    return AuthHeader(authserv_id, tuple(results))


def trusted_header(values: Iterable[str], trusted_authserv_id: str) -> AuthHeader | None:
    """The topmost header written by our own server (headers come in message order)."""
    wanted = trusted_authserv_id.strip().lower()
    if not wanted:
        return None
    for value in values:
        parsed = parse_header(value)
        if parsed is not None and parsed.authserv_id == wanted:
            return parsed
    return None


def _domain(value: str | None) -> str:
    value = (value or "").strip().strip("<>").lower().rstrip(".")
    return value.rpartition("@")[2]


def aligned(domain: str, from_domain: str) -> bool:
    """Relaxed alignment (RFC 7489 §3.1), approximated without the public suffix list: the same
    domain, or one a subdomain of the other (never a bare top-level domain)."""
    if not domain or not from_domain:
        return False
    if domain == from_domain:
        return True
    shorter, longer = sorted((domain, from_domain), key=len)
    return "." in shorter and longer.endswith("." + shorter)


def _describe(results: Sequence[MethodResult]) -> str:
    shown = []
    for r in results:
        if r.method not in ("dmarc", "spf", "dkim"):
            continue
        keys = [
            k for k in ("header.from", "smtp.mailfrom", "header.d", "header.i") if k in r.properties
        ]
        extra = " ".join(f"{k}={r.properties[k]}" for k in keys)
        shown.append(f"{r.method}={r.result}" + (f" {extra}" if extra else ""))
    return "; ".join(shown)


def judge(header: AuthHeader | None, from_address: str | None) -> SenderVerdict:
    """The verdict on `from_address` given our server's header (None: no trusted header)."""
    if header is None:
        return SenderVerdict(
            AuthVerdict.UNKNOWN, "ingen Authentication-Results från vår egen server"
        )
    detail = f"{header.authserv_id}: {_describe(header.results) or 'inga resultat'}"
    detail = " ".join(detail.split())[:DETAIL_LIMIT]
    from_domain = _domain(from_address)
    if not from_domain:
        return SenderVerdict(AuthVerdict.UNKNOWN, detail)
    by_method: dict[str, list[MethodResult]] = {}
    for r in header.results:
        by_method.setdefault(r.method, []).append(r)
    dmarc = by_method.get("dmarc", [])
    for r in dmarc:
        checked = _domain(r.properties.get("header.from")) or from_domain
        if r.result == "fail" and checked == from_domain:
            return SenderVerdict(AuthVerdict.FAILED, detail)
    for r in dmarc:
        checked = _domain(r.properties.get("header.from")) or from_domain
        if r.result == "pass" and checked == from_domain:
            return SenderVerdict(AuthVerdict.VERIFIED, detail)
    for r in by_method.get("dkim", []):
        signer = _domain(r.properties.get("header.d") or r.properties.get("header.i"))
        if r.result == "pass" and aligned(signer, from_domain):
            return SenderVerdict(AuthVerdict.VERIFIED, detail)
    for r in by_method.get("spf", []):
        envelope = _domain(r.properties.get("smtp.mailfrom") or r.properties.get("smtp.helo"))
        if r.result == "pass" and aligned(envelope, from_domain):
            return SenderVerdict(AuthVerdict.VERIFIED, detail)
    checks = by_method.get("spf", []) + by_method.get("dkim", [])
    if not dmarc and checks and all(r.result in ("fail", "softfail") for r in checks):
        return SenderVerdict(AuthVerdict.FAILED, detail)
    return SenderVerdict(AuthVerdict.UNKNOWN, detail)


def header_values(raw: bytes, name: str = "Authentication-Results") -> list[str]:
    """Every value of header `name` in `raw`, top to bottom; the body is not parsed."""
    parser = email.parser.BytesHeaderParser(policy=email.policy.compat32)
    msg = parser.parsebytes(raw)
    return [" ".join(str(v).split()) for v in msg.get_all(name, failobj=[])]


def judge_message(
    raw: bytes, from_address: str | None, trusted_authserv_id: str
) -> tuple[AuthVerdict, str]:
    """The pipeline's one call: (verdict, detail) for messages.auth_verdict/auth_detail."""
    if not trusted_authserv_id.strip():
        return (
            AuthVerdict.UNKNOWN,
            "mail.trusted_authserv_id är inte satt: avsändaren kontrolleras inte",
        )
    header = trusted_header(header_values(raw), trusted_authserv_id)
    result = judge(header, from_address)
    return result.verdict, result.detail
