"""Refused logins explained: one line each that says what the operator should check."""

from __future__ import annotations

from casefile.config import OAuth2Settings

# What servers say when they no longer take passwords (Microsoft 365, Google).
PASSWORD_GONE_MARKERS = (
    "5.7.30",
    "basic authentication",
    "basicauthblocked",
    "application-specific password",
    "weblogin",
    "please log in via your web browser",
)
OAUTH_HOSTS = ("office365.com", "outlook.com", "gmail.com", "googlemail.com")
SWITCH = 'lösenord godtas inte längre av servern: byt till auth = "oauth2" med en [oauth2]-sektion'


def password_no_longer_accepted(text: str, host: str, oauth_only: bool) -> bool:
    low = text.lower()
    return (
        oauth_only
        or any(marker in low for marker in PASSWORD_GONE_MARKERS)
        or any(host.lower().endswith(h) for h in OAUTH_HOSTS)
    )


def token_refused(protocol: str, user: str, cfg: OAuth2Settings) -> str:
    """A token was issued but the server refused it: the grant to the mailbox is missing."""
    if cfg.provider == "microsoft":
        permission = "IMAP.AccessAsApp" if protocol == "IMAP" else "SMTP.SendAsApp"
        steps = (
            f"kontrollera 1) behörigheten {permission} (Office 365 Exchange Online, "
            "application) med administratörsmedgivande, 2) New-ServicePrincipal med "
            "Enterprise-applikationens object id, 3) Add-MailboxPermission -Identity "
            f"{user} -User <tjänstens id> -AccessRights FullAccess"
        )
        if protocol == "SMTP":
            steps += f", 4) Set-CASMailbox {user} -SmtpClientAuthenticationDisabled $false"
    elif cfg.provider == "google":
        steps = (
            "kontrollera tjänstekontots domänövergripande delegering (scope "
            f"https://mail.google.com/) och att {protocol} är påslaget för {user}"
        )
    else:
        steps = f"kontrollera att token ger behörighet till {user}"
    return f"token hämtades men {protocol}-inloggningen som {user} nekades: {steps}"


def smtp_refused(code: int, text: str, oauth2: OAuth2Settings | None, user: str, host: str) -> str:
    """SMTP AUTH refusal as one line (Microsoft's 5.7.139 and 5.7.30 by name)."""
    low = text.lower()
    if "smtpclientauthentication" in low or (oauth2 is not None and "5.7.139" in low):
        return (
            f"SMTP AUTH är avstängt för {user} ({code} 5.7.139): slå på Authenticated SMTP "
            f"(Set-CASMailbox -Identity {user} -SmtpClientAuthenticationDisabled $false, "
            "eller Microsoft 365 admin center › användaren › E-post › Hantera e-postappar)"
        )
    if oauth2 is None and password_no_longer_accepted(text, host, False):
        return f"SMTP-inloggningen nekades ({code} {text[:80]}): {SWITCH}"
    if oauth2 is not None:
        return f"{token_refused('SMTP', user, oauth2)} ({code})"
    return f"SMTP-inloggningen nekades ({code} {text[:120]}): kontrollera användarnamn och lösenord"


# Ports: (plain or STARTTLS, TLS from the first byte).
TLS_PORTS = {"IMAP": (143, 993), "SMTP": (587, 465)}


def tls_hint(error: BaseException | str, protocol: str, key: str, host: str, port: int) -> str:
    """What to change when a connection failed on TLS or the port, in one line; "" when the
    error is not one of these. `key` is the settings section (`smtp`, `mailboxes[kontakt]`)."""
    low = str(error).lower()
    plain, implicit = TLS_PORTS[protocol]
    if "wrong_version_number" in low or "wrong version number" in low:
        # TLS from the first byte against a port that talks plain text first.
        return (
            f'{key}.security = "ssl", men port {port} börjar okrypterat: använd '
            f'security = "starttls" med port {plain}, eller port {implicit} med "ssl"'
        )
    # smtplib and imaplib: "STARTTLS extension not supported by server"; imapclient: "Server
    # does not support STARTTLS capability".
    if "starttls extension not supported" in low or "does not support starttls" in low:
        return (
            f"servern erbjuder inte STARTTLS på port {port}: använd port {implicit} med "
            f'security = "ssl" ({key}.port, {key}.security)'
        )
    if "certificate_verify_failed" in low or "certificate verify failed" in low:
        if "mismatch" in low:
            return (
                f"certifikatet är inte utfärdat för {host}: skriv i {key}.host det namn "
                "som står i serverns certifikat"
            )
        if "expired" in low:
            return "serverns certifikat har gått ut: det måste förnyas på servern"
        return (
            "serverns certifikat kunde inte verifieras: är det utfärdat av en egen CA, "
            f"ange CA-certifikatet (PEM) i {key}.ca_file"
        )
    return ""


def with_tls_hint(
    message: str, error: BaseException | str, protocol: str, key: str, host: str, port: int
) -> str:
    """`message`, followed by the TLS or port hint when there is one."""
    hint = tls_hint(error, protocol, key, host, port)
    return f"{message.rstrip('.')}: {hint}" if hint else message
