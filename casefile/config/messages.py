"""The configuration's messages: every problem a configuration can have, in Swedish and English,
and the two errors that carry them (ConfigError for the operator, _Invalid inside the loader)."""

from __future__ import annotations

from typing import Any

from casefile.errors import UserError
from casefile.i18n import environment_language


class ConfigError(UserError):
    """A configuration problem, already phrased as one line for the operator."""

    @classmethod
    def at(cls, where: str, problem: str, **fields: Any) -> ConfigError:
        """`<where>: <problem>`: the file or key as written, the problem (a key of _PROBLEMS)
        in the operator's language."""
        return cls(f"{where}: {_problem(problem, **fields)}")


# Every problem a configuration can have, (Swedish, English), one line each, with named fields.
# The file is read before registry.language is known, so CASEFILE_LANG alone chooses: Swedish
# unless it says en. Keys, values and file names are not translated: they are what is edited.
_PROBLEMS: dict[str, tuple[str, str]] = {
    # The file
    "file_not_found": ("konfigurationsfilen finns inte", "configuration file not found"),
    "file_is_folder": (
        "är en mapp, inte en konfigurationsfil",
        "is a folder, not a configuration file",
    ),
    "file_not_utf8": ("är inte text i UTF-8 (byte {start})", "not UTF-8 text (byte {start})"),
    "file_unreadable": ("kan inte läsas ({reason})", "cannot be read ({reason})"),
    "file_not_toml": ("är inte giltig TOML ({error})", "not valid TOML ({error})"),
    # Keys and values
    "unknown_key": ("okänd nyckel", "unknown key"),
    "missing_key": ("obligatorisk nyckel saknas", "required key is missing"),
    "invalid_value": ("ogiltigt värde", "invalid value"),
    "envelope_from_ascii": (
        "ska vara en e-postadress i ASCII, inte {value!r} (skriv domänen i punycode: xn--…)",
        "must be an e-mail address in ASCII, not {value!r} (write the domain in punycode: xn--…)",
    ),
    "not_one_of": (
        "ska vara något av {choices}, inte {value!r}",
        "must be one of {choices}, not {value!r}",
    ),
    "not_table": ("ska vara en tabell", "must be a table"),
    "not_list": ("ska vara en lista", "must be a list"),
    "not_date": (
        "ska vara ett datum (ÅÅÅÅ-MM-DD), inte {value!r}",
        "must be a date (YYYY-MM-DD), not {value!r}",
    ),
    "not_bool": (
        "ska vara true eller false, inte {value!r}",
        "must be true or false, not {value!r}",
    ),
    "not_int": ("ska vara ett heltal, inte {value!r}", "must be a whole number, not {value!r}"),
    "not_number": ("ska vara ett tal, inte {value!r}", "must be a number, not {value!r}"),
    "not_string": ("ska vara text, inte {value!r}", "must be a string, not {value!r}"),
    "unsupported_type": ("inställningstypen {name} stöds inte", "unsupported setting type {name}"),
    "env_not_set": ("miljövariabeln {name} är inte satt", "environment variable {name} is not set"),
    # [registry]
    "unknown_timezone": ("okänd tidszon {timezone!r}", "unknown time zone {timezone!r}"),
    "format_invalid": ("inget giltigt format ({error})", "not a valid format ({error})"),
    "format_unknown_field": (
        "okänt fält {names}; använd {{prefix}} {{yy}} {{yyyy}} {{case}} {{doc}}",
        "unknown field {names}; use {{prefix}} {{yy}} {{yyyy}} {{case}} {{doc}}",
    ),
    "format_without_year": (
        "måste innehålla {{yy}} eller {{yyyy}}: löpnumren börjar om varje år",
        "must contain {{yy}} or {{yyyy}}: serials restart every year",
    ),
    "format_needs": ("måste innehålla {{{name}}}", "must contain {{{name}}}"),
    "format_forbids": ("får inte innehålla {{{name}}}", "must not contain {{{name}}}"),
    "staff_domain_entry": (
        "{value!r} är ingen hel adress; skriv en hel domän i registry.staff_domains",
        "{value!r} is not a whole address; put a whole domain in registry.staff_domains",
    ),
    # [database]
    "database_url": (
        "ingen användbar databas-URL ({error})",
        "not a usable database URL ({error})",
    ),
    "database_backend": (
        "databasen {backend} stöds inte; skriv sqlite:///… eller postgresql://…",
        "the database {backend} is not supported; write sqlite:///… or postgresql://…",
    ),
    "database_driver": (
        "drivrutinen {driver} stöds inte; skriv {backend}:// utan drivrutin",
        "the driver {driver} is not supported; write {backend}:// without a driver",
    ),
    "database_psycopg3": (
        "drivrutinen psycopg (3) är inte installerad; "
        "skriv postgresql:// (psycopg2) i stället för postgresql+psycopg://",
        "the driver psycopg (3) is not installed; "
        "write postgresql:// (psycopg2) instead of postgresql+psycopg://",
    ),
    "password_env_sqlite": ("bara för PostgreSQL, inte SQLite", "only for PostgreSQL, not SQLite"),
    "password_twice": (
        "URL:en har redan ett lösenord; ange det bara på ett ställe",
        "the URL has a password already; keep only one",
    ),
    # [[mailboxes]], [smtp], [oauth2.NAME]
    "mailbox_names": ("varje brevlåda behöver ett eget namn", "every mailbox needs a unique name"),
    "oauth2_name_missing": ('krävs när auth = "oauth2"', 'required when auth = "oauth2"'),
    "oauth2_no_section": (
        "avsnittet [oauth2.{name}] finns inte (definierade: {known})",
        "no section [oauth2.{name}] (defined: {known})",
    ),
    "oauth2_none_defined": ("inga", "none"),
    "needed_for_provider": (
        'krävs när provider = "{provider}"',
        'required for provider "{provider}"',
    ),
    "token_url_needed": (
        'krävs när provider = "generic" (eller token_command)',
        'required for provider "generic" (or token_command)',
    ),
    "certificate_pair": (
        "ange både certificate_file och private_key_file",
        "give both certificate_file and private_key_file",
    ),
    "secret_needed": ("krävs (eller ett certifikat)", "required (or a certificate)"),
    "oauth2_cleartext": (
        'är "none": OAuth2-token skulle skickas okrypterad till {host}; '
        'använd "ssl" eller "starttls" (okrypterat går bara mot loopback)',
        'is "none": the OAuth2 token would be sent in clear to {host}; '
        'use "ssl" or "starttls" (plain text is allowed to loopback only)',
    ),
    "graph_scope": (
        'Graph kräver scope = "{scope}" i [oauth2.{name}] (nu {value!r})',
        'Graph needs scope = "{scope}" in [oauth2.{name}] (now {value!r})',
    ),
    "graph_cleartext": (
        "{url} är inte https: OAuth2-token skulle skickas okrypterad (http går bara mot loopback)",
        "{url} is not https: the OAuth2 token would be sent in clear (http to loopback only)",
    ),
    "graph_username": (
        "krävs för Graph: brevlådans UPN eller objekt-id",
        "required for Graph: the mailbox's UPN or object id",
    ),
    # [reminders] (checked when the service builds its schedule: intake/service/scheduler.py)
    "cron": (
        "{expression!r} är inget giltigt cron-uttryck ({error})",
        "{expression!r} is not a valid cron expression ({error})",
    ),
}


def _problem(problem: str, **fields: Any) -> str:
    sv, en = _PROBLEMS[problem]
    return (en if environment_language() == "en" else sv).format(**fields)


class _Invalid(Exception):
    """A bad value at `key`: the problem (a key of _PROBLEMS) and its fields, put into words
    once, by Settings.from_dict."""

    def __init__(self, key: str, problem: str, **fields: Any) -> None:
        super().__init__(key, problem)
        self.key, self.problem, self.fields = key, problem, fields

    def __str__(self) -> str:
        return f"{self.key}: {_problem(self.problem, **self.fields)}"
