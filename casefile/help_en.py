"""The English of both programs' help (CASEFILE_LANG=en), keyed by the Swedish it replaces.

One entry per paragraph of a command's help (its docstring) and per option's help, with the
Swedish written as in the command, its white space made single spaces (paragraphs()).
help_text() looks a text up when it is printed; a paragraph without an entry is
shown in Swedish, and tests/cli/test_help_language.py fails on it, and on an entry that no
longer matches any help text. Generated help (the values of a state option) adds its own
entries below.
"""

from __future__ import annotations

import inspect


def paragraphs(text: str) -> list[str]:
    """The paragraphs of a help text, each on one line, as the catalogue's keys are."""
    text = inspect.cleandoc(text).partition("\f")[0]
    return [" ".join(p.split()) for p in text.split("\n\n") if p.strip()]


def help_text(text: str) -> str:
    """A command's or an option's help as shown: the Swedish text, or its English."""
    from casefile.i18n import language

    text = inspect.cleandoc(text).partition("\f")[0]
    if language() != "en":
        return text
    return english(text)


def english(text: str) -> str:
    """The English of a Swedish help text, paragraph by paragraph (Swedish where it has none)."""
    generated = generated_english()
    return "\n\n".join(ENGLISH.get(p) or generated.get(p, p) for p in paragraphs(text))


def generated_english() -> dict[str, str]:
    """The help of the state options, made from the states' labels when the command module
    was imported: in Swedish, or (a process started with CASEFILE_LANG=en) with the codes
    first; either way its English is made from the same labels."""
    from casefile.states import DocumentKind, DocumentStatus, OutboxState, choices

    entries: dict[str, str] = {}
    for lang in ("sv", "en"):
        for enum in (DocumentStatus, DocumentKind):
            entries[choices(enum, lang)] = choices(enum, "en")
        entries[f"Bara brev i detta läge: {choices(OutboxState, lang)}."] = (
            f"Only mail in this state: {choices(OutboxState, 'en')}."
        )
    return entries


ENGLISH: dict[str, str] = {
    "Formulärdefinitioner: lär in kontorets egen blankett så att rapporter på den läses rätt.": (
        "Form definitions: learn the office's own form so that reports on it read right."
    ),
    "Exempel: intake form learn slutrapport-mall.docx --output /etc/casefile/forms/var.toml": (
        "Example: intake form learn slutrapport-mall.docx --output /etc/casefile/forms/ours.toml"
    ),
    "Lär in en formulärdefinition ur en tom blankett (DOCX eller PDF): titelord, fält med "
    "etiketter och typer, avsnitt med nummer, rubriker och hjälptexter. Filen kan läggas i "
    "[extraction] forms som den är.": (
        "Learn a form definition from a blank template (DOCX or PDF): title words, fields with "
        "labels and kinds, sections with numbers, titles and helper texts. The file can go into "
        "[extraction] forms as it is."
    ),
    "Exempel: intake form learn mall.docx --output var.toml --check rapport1.docx rapport2.pdf": (
        "Example: intake form learn template.docx --output ours.toml --check report1.docx "
        "report2.pdf"
    ),
    "Definitionens namn (annars blankettens titel).": (
        "The definition's name (else the template's title)."
    ),
    "Skriv definitionen till FIL (annars till standard ut).": (
        "Write the definition to FILE (else to standard output)."
    ),
    "Läs ifyllda rapporter (RAPPORT ...) med definitionen och visa vad som hittades.": (
        "Read filled reports (REPORT ...) with the definition and show what was found."
    ),
    "casefile – diariet: ärenden och handlingar.": "casefile – the register: cases and documents.",
    "Konfigurationsfil (standard: $CASEFILE_CONFIG, annars config/casefile.toml).": (
        "Configuration file (default: $CASEFILE_CONFIG, else config/casefile.toml)."
    ),
    "Makulera en felaktig registrering. Numret behålls och återanvänds aldrig.": (
        "Cancel a wrong registration. The number is kept and never used again."
    ),
    'Exempel: casefile cancel "SFG 26-01.03" --reason "Dubblett av SFG 26-01.02"': (
        'Example: casefile cancel "SFG 26-01.03" --reason "Duplicate of SFG 26-01.02"'
    ),
    "Varför registreringen makuleras.": "Why the registration is cancelled.",
    "Dina initialer (standard: $CASEFILE_USER, annars inloggningsnamnet).": (
        "Your initials (default: $CASEFILE_USER, else the login name)."
    ),
    "Skriv ut ett JSON-dokument.": "Print a JSON document.",
    "Avsluta ett ärende: inga påminnelser eller begäranden om komplettering efter detta.": (
        "Close a case: no reminders or requests for completion after this."
    ),
    "Köade påminnelser för ärendet stoppas.": "Queued reminders for the case are stopped.",
    'Exempel: casefile close "SFG 26-01" --reason "Slutrapporten godkänd av styrelsen"': (
        'Example: casefile close "SFG 26-01" --reason "Final report approved by the board"'
    ),
    "Varför ärendet avslutas.": "Why the case is closed.",
    "Bekräfta ärendets kontaktadress: dit går påminnelser och kompletteringsbegäranden.": (
        "Confirm the case's contact address: reminders and requests for completion go there."
    ),
    "En adress som lästs ur en blankett är bara ett förslag tills den bekräftats.": (
        "An address read from a form is only a suggestion until it is confirmed."
    ),
    'Exempel: casefile contact "SFG 26-01" anna.berg@kommun.se --by AKH': (
        'Example: casefile contact "SFG 26-01" anna.berg@kommun.se --by AKH'
    ),
    "Dina initialer (standard: $CASEFILE_USER).": "Your initials (default: $CASEFILE_USER).",
    "Rätta en utläst uppgift i en handling; det gamla värdet finns kvar i historiken.": (
        "Correct a value read from a document; the old value stays in the history."
    ),
    (
        "FÄLT, på svenska eller som kod: insats (title), organisation, typ (kind), startdatum "
        "(period_start), slutdatum (period_end), beviljat (granted_sek), förbrukat "
        "(spent_sek), arbetsplats (workplace), kontaktperson (contact_name), telefon "
        "(contact_phone), e-post (contact_email), postnummer (postal_code), postort "
        "(postal_town), underskriftsdatum (submitter_date), undertecknare (submitter_name). "
        "Anmärkningar och bevakningsdatum räknas om. Ankomstdatum (received_date) med --reason; "
        "diarienumret behålls."
    ): (
        "FIELD, as a code or in English: title, organisation, kind, period_start (start date), "
        "period_end (end date), granted_sek (granted), spent_sek (spent), workplace, "
        "contact_name (contact name), contact_phone (phone), contact_email (e-mail), "
        "postal_code (postal code), postal_town (postal town), submitter_date (date signed), "
        "submitter_name (signed by). Findings and the due date are worked out again. "
        "received_date (received date) with --reason; the number is kept."
    ),
    "Skäl (krävs för ankomstdatum).": "The reason (needed for received_date).",
    'Exempel: casefile rätta "SFG 26-01.01" slutdatum 2026-06-30': (
        'Example: casefile correct "SFG 26-01.01" period_end 2026-06-30'
    ),
    ("Avför ett brev som inte behöver registreras: det lämnar inkorgen och sammanställningen."): (
        "Dismiss a letter that need not be registered: it leaves the inbox and the digest."
    ),
    'Exempel: casefile dismiss 12 --reason "Nyhetsbrev, ringa betydelse"': (
        'Example: casefile dismiss 12 --reason "Newsletter, of little importance"'
    ),
    "Varför brevet inte ska registreras.": "Why the letter is not to be registered.",
    "Sätt bevakningsdatum: när ärendets rapport senast ska komma in.": (
        "Set the due date: when the case's report must have come in."
    ),
    'Exempel: casefile due "SFG 26-01" 2026-12-31': 'Example: casefile due "SFG 26-01" 2026-12-31',
    "Godta ett datum som redan har passerat.": "Accept a date that has already passed.",
    "Exportera ur diariet: diarieförteckning, styrelselista, Finsam-uppföljning, e-arkiv.": (
        "Export from the register: diary, board list, Finsam follow-up, e-archive."
    ),
    "Exempel: casefile export diary --from 2026-01-01 --to 2026-12-31 --output diarium.csv": (
        "Example: casefile export diary --from 2026-01-01 --to 2026-12-31 --output diary.csv"
    ),
    "E-arkivpaket (E-ARK CSIP/SIP, FGS Paketstruktur 2.0) med ärendena i CITS ERMS.": (
        "E-archive package (E-ARK CSIP/SIP, FGS Paketstruktur 2.0) of the cases in CITS ERMS."
    ),
    "Exempel: casefile export archive --closed-before 2026-01-01 --output arkiv-2025.zip": (
        "Example: casefile export archive --closed-before 2026-01-01 --output archive-2025.zip"
    ),
    "E-arkivpaket (E-ARK, FGS) av ärenden.": "E-archive package (E-ARK, FGS) of cases.",
    "Alla ärenden avslutade före detta datum.": "All cases closed before this date.",
    "Mapp, eller en fil som slutar på .zip.": "A directory, or a file whose name ends in .zip.",
    "csip:CONTENTINFORMATIONTYPE i METS.xml (standard: export.content_information_type).": (
        "csip:CONTENTINFORMATIONTYPE in METS.xml (default: export.content_information_type)."
    ),
    "Styrelsens lista över rapporter som kommit in under en period, med summor och diagram.": (
        "The board's list of reports received in a period, with totals and charts."
    ),
    ("Exempel: casefile export board --from 2026-01-01 --to 2026-03-31 --output styrelsen.docx"): (
        "Example: casefile export board --from 2026-01-01 --to 2026-03-31 --output board.docx"
    ),
    "Styrelsens lista över inkomna rapporter.": "The board's list of reports received.",
    "Första dag (ÅÅÅÅ-MM-DD).": "First day (YYYY-MM-DD).",
    "Sista dag (standard: i dag).": "Last day (default: today).",
    "Standard: filändelsen i --output, annars docx.": (
        "Default: the file name ending of --output, else docx."
    ),
    "Filen som skrivs.": "The file written.",
    "Diarieförteckning för en period: varje nummer i ordning, makulerade som makulerad.": (
        "The diary of a period: every number in order, cancelled ones marked as cancelled."
    ),
    "Utan --output skrivs CSV eller JSON till skärmen (standard ut).": (
        "Without --output, CSV or JSON is written to the screen (standard output)."
    ),
    ("Exempel: casefile export diary --from 2026-01-01 --to 2026-06-30 --public --output ut.csv"): (
        "Example: casefile export diary --from 2026-01-01 --to 2026-06-30 --public --output out.csv"
    ),
    "Diarieförteckning för en period.": "The diary of a period.",
    "Sista dag (ÅÅÅÅ-MM-DD).": "Last day (YYYY-MM-DD).",
    "Version som kan lämnas ut (OSL 5:2).": "A version that can be disclosed (OSL 5:2).",
    "Standard: filändelsen i --output, annars csv.": (
        "Default: the file name ending of --output, else csv."
    ),
    "En rad per insats med de siffror årsuppföljningen (Uppföljning Finsam) frågar efter.": (
        "One row per insats with the figures the annual follow-up (Uppföljning Finsam) asks for."
    ),
    "Exempel: casefile export finsam --year 2026 --output uppfoljning-2026.xlsx": (
        "Example: casefile export finsam --year 2026 --output follow-up-2026.xlsx"
    ),
    "Årsuppföljning Finsam: en rad per insats.": "Annual Finsam follow-up: one row per insats.",
    "Året (ÅÅÅÅ).": "The year (YYYY).",
    "Standard: filändelsen i --output, annars xlsx.": (
        "Default: the file name ending of --output, else xlsx."
    ),
    "De lagrade filerna för en registrerad handling, hur den än kom in.": (
        "The stored files of a registered document, however it came in."
    ),
    "REF: handling (SFG 26-01.02) eller ärende (alla dess handlingar).": (
        "REF: a document (SFG 26-01.02) or a case (all its documents)."
    ),
    'Exempel: casefile file "SFG 26-01.02" --save ~/Hämtade': (
        'Example: casefile file "SFG 26-01.02" --save ~/Downloads'
    ),
    "Spara filerna i denna mapp (säkra filnamn, skriver aldrig över).": (
        "Save the files in this directory (safe file names, never overwrites)."
    ),
    "En registreringskopia av en handling: diarienummer, ankomstdatum och handläggarens "
    "signatur i blankettens registreringsruta (eller överst). Originalet ändras aldrig.": (
        "A registration copy of a document: diarienummer, arrival date and the officer's "
        "signature in the form's registration box (or at the top). The original never changes."
    ),
    "REF: handling (SFG 26-01.01). PDF och DOCX.": "REF: a document (SFG 26-01.01). PDF and DOCX.",
    "Diariet i webbläsaren, och det offentliga diariet (/diarium).": (
        "The register in a web browser, and the public diary (/diarium)."
    ),
    'Inloggning enligt [web] auth: "proxy" (ett huvud från en betrodd omvänd proxy), '
    '"local" (demoläget, bara från den här datorn) eller "oidc" (OpenID Connect).': (
        'Login as [web] auth says: "proxy" (a header from a trusted reverse proxy), '
        '"local" (the demo mode, from this computer only) or "oidc" (OpenID Connect).'
    ),
    "Exempel: casefile web --port 8080": "Example: casefile web --port 8080",
    "Adress att lyssna på.": "Address to listen on.",
    "Port att lyssna på.": "Port to listen on.",
    "Bara det offentliga diariet (en server som allmänheten når).": (
        "The public diary only (a server the public reaches)."
    ),
    'Exempel: casefile copy "SFG 26-01.01" --output kopia.pdf': (
        'Example: casefile copy "SFG 26-01.01" --output copy.pdf'
    ),
    "Skriv kopian till denna fil (skriver aldrig över en befintlig fil).": (
        "Write the copy to this file (never overwrites an existing file)."
    ),
    "Post som behöver handläggas: ingen rapport, eller en bilaga som inte gick att läsa.": (
        "Mail that needs a person: no report, or an attachment that could not be read."
    ),
    "Läs ett brev med casefile mail ID; avför det med casefile dismiss ID --reason TEXT.": (
        "Read a letter with casefile mail ID; dismiss it with casefile dismiss ID --reason TEXT."
    ),
    "Exempel: casefile inbox": "Example: casefile inbox",
    "Även post som redan är hanterad eller avförd.": "Also mail already handled or dismissed.",
    "Skapa eller uppgradera databasen (går bra att köra igen).": (
        "Create or upgrade the database (safe to run again)."
    ),
    "Exempel: casefile init": "Example: casefile init",
    "Registrerade handlingar, nyaste först.": "Registered documents, newest first.",
    "Exempel: casefile list --status makulerad --since 2026-01-01": (
        "Example: casefile list --status cancelled --since 2026-01-01"
    ),
    "Bara detta ärendes handlingar.": "Only the documents of this case.",
    "Inkomna detta datum eller senare (ÅÅÅÅ-MM-DD).": (
        "Received on this date or later (YYYY-MM-DD)."
    ),
    "Inkomna detta datum eller tidigare (ÅÅÅÅ-MM-DD).": (
        "Received on this date or earlier (YYYY-MM-DD)."
    ),
    "Organisationen innehåller TEXT.": "The organisation contains TEXT.",
    "Ännu inte signerade av en handläggare.": "Not yet signed by a case officer.",
    "Rapporter med brister (ej undertecknade, uppgifter saknas).": (
        "Reports with problems (not signed by the sender, values missing)."
    ),
    "Högst så många (0: alla).": "At most this many (0: all).",
    "Alla kolumner, oavsett terminalens bredd.": "All columns, whatever the terminal's width.",
    "Läs ett inkommet brev: avsändare, ämne, text och bilagor.": (
        "Read a received letter: sender, subject, text and attachments."
    ),
    "ID är numret i casefile inbox.": "ID is the number in casefile inbox.",
    "Exempel: casefile mail 12 --save ~/Hämtade": "Example: casefile mail 12 --save ~/Downloads",
    "Spara bilagorna i denna mapp (säkra filnamn, skriver aldrig över).": (
        "Save the attachments in this directory (safe file names, never overwrites)."
    ),
    "Flytta en handling till ett annat ärende. Den behåller sitt diarienummer.": (
        "Move a document to another case. It keeps its number."
    ),
    'Exempel: casefile move "SFG 26-02.01" --to "SFG 26-01" --by AKH': (
        'Example: casefile move "SFG 26-02.01" --to "SFG 26-01" --by AKH'
    ),
    "Ärendet den ska ligga i.": "The case it belongs in.",
    "Skriv en anteckning i ett ärendes eller en handlings historik.": (
        "Write a note in the history of a case or a document."
    ),
    'Exempel: casefile note "SFG 26-01" "Ringde kontaktpersonen om underskrift"': (
        'Example: casefile note "SFG 26-01" "Called the contact person about the signature"'
    ),
    "Automatiska brev: i kö, skickade, misslyckade, osäkra och stoppade.": (
        "Automatic mail: queued, sent, failed, uncertain and stopped."
    ),
    "Exempel: casefile outbox --state uncertain": "Example: casefile outbox --state uncertain",
    "Öppna ärenden vars slutrapport ska ha kommit in senast idag men saknas.": (
        "Open cases whose final report was due by today but is missing."
    ),
    "Visar bevakningsdatumet som påminnelserna använder och hur det har satts.": (
        "Shows the due date the reminders use and how it was set."
    ),
    "Exempel: casefile overdue": "Example: casefile overdue",
    "Räkna som om det vore detta datum.": "Count as if it were this date.",
    "Registrera handlingar som inte kom in via e-postintaget (en per fil).": (
        "Register documents that did not come in by the mail intake (one per file)."
    ),
    (
        "Inkommande: --from och --received. Det kansliet skriver (--direction out|internal): "
        "--to och --date; det läses aldrig som en rapport och ger aldrig något utskick."
    ): (
        "Received: --from and --received. What the office writes (--direction out|internal): "
        "--to and --date; it is never read as a report and never sends mail."
    ),
    'Exempel: casefile register brev.pdf --from "Ovanåkers kommun" --received 2026-02-03': (
        'Example: casefile register letter.pdf --from "Ovanåkers kommun" --received 2026-02-03'
    ),
    (
        'Exempel: casefile register beslut.pdf --direction out --kind beslut --to "Ovanåkers '
        'kommun" --date idag --case "SFG 26-03"'
    ): (
        'Example: casefile register decision.pdf --direction out --kind beslut --to "Ovanåkers '
        'kommun" --date today --case "SFG 26-03"'
    ),
    "Avsändaren (namn eller e-postadress); inkommande.": (
        "The sender (name or e-mail address); received documents."
    ),
    "Ankomstdatum (ÅÅÅÅ-MM-DD, idag); inkommande.": (
        "Date received (YYYY-MM-DD, today); received documents."
    ),
    "Mottagaren; utgående och upprättade handlingar.": (
        "The recipient; outgoing and internal documents."
    ),
    "Datum; utgående och upprättade handlingar.": "The date; outgoing and internal documents.",
    "Vad kansliet skrivit (utgående: brev, upprättad: tjänsteanteckning om inget anges).": (
        "What the office wrote (outgoing: brev, internal: tjänsteanteckning unless given)."
    ),
    "Lägg i detta ärende (SFG 26-01).": "Put it in this case (SFG 26-01).",
    "Vad handlingen gäller (annars insatsens namn ur blanketten).": (
        "What the document is about (else the insats's name from the form)."
    ),
    "Skicka kvittens till avsändarens adress.": "Send an acknowledgement to the sender's address.",
    "Visa vilka påminnelser och kompletteringsbrev som ska ut nu, och varför.": (
        "Show which reminders and requests for completion are due now, and why."
    ),
    "Inget köas utan --queue; tjänsten (intake serve) köar dem själv enligt schemat.": (
        "Nothing is queued without --queue; the service (intake serve) queues them itself on "
        "its schedule."
    ),
    "Exempel: casefile remind, sedan casefile remind --queue": (
        "Example: casefile remind, then casefile remind --queue"
    ),
    "Köa breven (annars visas bara vad som skulle köas).": (
        "Queue the letters (else only what would be queued is shown)."
    ),
    "Visa bara, köa inget (standard; kan inte kombineras med --queue).": (
        "Only show, queue nothing (the default; cannot be combined with --queue)."
    ),
    "Köa också dagens sammanställning till handläggarna (med --queue).": (
        "Also queue today's digest to the case officers (with --queue)."
    ),
    "Öppna ett avslutat ärende igen.": "Open a closed case again.",
    'Exempel: casefile reopen "SFG 26-01"': 'Example: casefile reopen "SFG 26-01"',
    "Skicka ett osäkert, misslyckat eller stoppat brev igen (ett beslut av en person).": (
        "Send an uncertain, failed or stopped letter again (a person's decision)."
    ),
    "Exempel: casefile requeue 12 --by AKH": "Example: casefile requeue 12 --by AKH",
    "Sök i titlar, organisationer, avsändare, kontakter, anteckningar och rapporttext.": (
        "Search titles, organisations, senders, contacts, notes and report text."
    ),
    (
        "Varje ord ska finnas (som början på ett ord); bäst träff först. Högst 20 ord och 200 "
        "tecken; sökningen avbryts efter 10 sekunder."
    ): (
        "Every word must be found (as the start of a word); best match first. At most 20 words "
        "and 200 characters; the search stops after 10 seconds."
    ),
    "Exempel: casefile search Ovanåker arbetsträning": (
        "Example: casefile search Ovanåker arbetsträning"
    ),
    "Högst så många träffar.": "At most this many matches.",
    "Sekretessmarkera en handling (OSL 5 kap. 5 §): bestämmelse, datum och vem.": (
        "Mark a document as secret (OSL 5 kap. 5 §): provision, date and who."
    ),
    'Exempel: casefile secrecy "SFG 26-01.02" --provision "OSL 21 kap. 1 §"': (
        'Example: casefile secrecy "SFG 26-01.02" --provision "OSL 21 kap. 1 §"'
    ),
    'T.ex. "OSL 21 kap. 1 §".': 'For example "OSL 21 kap. 1 §".',
    "Titeln som visas i offentliga förteckningar.": "The title shown in public lists.",
    "Ett ärende med alla handlingar. REF: ärende (SFG 26-01) eller handling (SFG 26-01.02).": (
        "A case with all its documents. REF: a case (SFG 26-01) or a document (SFG 26-01.02)."
    ),
    'Exempel: casefile show "SFG 26-01"': 'Example: casefile show "SFG 26-01"',
    "Signera en registrerad handling som ansvarig handläggare.": (
        "Sign a registered document as the responsible case officer."
    ),
    'Exempel: casefile sign "SFG 26-01.02" --by AKH': (
        'Example: casefile sign "SFG 26-01.02" --by AKH'
    ),
    "Ta tillbaka en handläggares signatur på en handling.": (
        "Withdraw a case officer's signature on a document."
    ),
    'Exempel: casefile unsign "SFG 26-01.02" --reason "Signerat i fel ärende"': (
        'Example: casefile unsign "SFG 26-01.02" --reason "Signed in the wrong case"'
    ),
    "Varför signaturen tas tillbaka.": "Why the signature is withdrawn.",
    "intake – posten: hämtar rapporter, registrerar dem och skickar kvittenser.": (
        "intake – the mail: fetches reports, registers them and sends acknowledgements."
    ),
    "Logga IMAP-protokollet (med loggnivå DEBUG), för felsökning.": (
        "Log the IMAP protocol (at log level DEBUG), for troubleshooting."
    ),
    (
        "Pröva allt tjänsten behöver utan att ändra något: konfiguration, databas, lagring, "
        "brevlådor (token, inloggning, mappar), SMTP (anslutning, TLS, inloggning; inget brev "
        "skickas) och mallar. En rad per kontroll: ✓ fungerar, ⚠ varning (slutstatus 0, 1 med "
        "--strict), ✗ fel (slutstatus 1)."
    ): (
        "Try everything the service needs without changing anything: configuration, database, "
        "storage, mailboxes (token, login, folders), SMTP (connection, TLS, login; no mail is "
        "sent) and templates. One line per check: ✓ works, ⚠ warning (exit status 0, 1 with "
        "--strict), ✗ error (exit status 1)."
    ),
    "Exempel: intake check": "Example: intake check",
    "Slutstatus 1 även vid varningar (⚠).": "Exit status 1 on warnings (⚠) too.",
    "Läs en rapport (DOCX eller PDF) och visa vad som hittades (rör ingen databas).": (
        "Read a report (DOCX or PDF) and show what was found (touches no database)."
    ),
    "Exempel: intake extract slutrapport.docx --json": (
        "Example: intake extract final-report.docx --json"
    ),
    "Läs alla brevlådor en gång: hämta, registrera, skicka det som ligger i utkorgen.": (
        "Read every mailbox once: fetch, register, send what is in the outbox."
    ),
    "Exempel: intake poll --once": "Example: intake poll --once",
    "Ett varv, sedan avslut.": "One round, then stop.",
    ("Kör ett meddelande i karantän eller som misslyckades genom intaget igen (från arkivet)."): (
        "Run a quarantined or failed message through the intake again (from the archive)."
    ),
    "Exempel: intake retry 17": "Example: intake retry 17",
    "Skicka det som ligger i utkorgen, en gång.": "Send what is in the outbox, once.",
    "Exempel: intake send": "Example: intake send",
    "Markera först brev som fastnat i 'skickas' som osäkra (bara när ingen annan sänder).": (
        "First mark mail stuck in 'sending' as uncertain (only when nothing else sends)."
    ),
    (
        "Kör bakgrundstjänsten: hämtning, utkorg, påminnelser och sammanställning tills "
        "SIGTERM/SIGINT."
    ): ("Run the background service: fetching, outbox, reminders and digest until SIGTERM/SIGINT."),
    (
        "Bara en intake-process arbetar mot en databas åt gången; en andra väntar eller "
        "avslutar (service.on_lock_busy). Exempel: intake serve"
    ): (
        "Only one intake process works on a database at a time; a second one waits or stops "
        "(service.on_lock_busy). Example: intake serve"
    ),
    "Stanna när varje brevlåda har hämtats N gånger (för demo och test).": (
        "Stop when every mailbox has been fetched N times (for demos and tests)."
    ),
    "Stanna efter så många sekunder (för demo och test).": (
        "Stop after this many seconds (for demos and tests)."
    ),
    "Visa hur intaget mår; slutstatus 1 när en brevlåda inte hämtats på för länge.": (
        "Show how the intake is doing; exit status 1 when a mailbox has not been fetched for "
        "too long."
    ),
    "Exempel: intake status --json": "Example: intake status --json",
}
