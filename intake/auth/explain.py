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
