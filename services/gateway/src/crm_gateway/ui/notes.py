"""System texts the services write in Romanian (stage-history notes, partner-history titles), in the user's language.

A partner-history entry carries its event type and values (amount, currency, moment) in ``details``: ``history``
writes the sentence from them, with the figures and dates of the reader's locale. Older entries and stage notes
are only sentences ("Comandă cerută", "Task creat: Sună clientul"): ``translate`` recognises each sentence the
services write and shows it from the catalogue (raw amounts and UTC moments reformatted). Anything else (a note a
person typed) is shown as written.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from crm_gateway.ui import i18n
from crm_gateway.ui.i18n import N_
from crm_kit import formatting

_STAGES = {
    "Nouă": "new",
    "1 Prezentare / întâlnire": "presentation",
    "2 Ofertă": "offer",
    "3 Negociere": "negotiation",
    "4 Vânzare": "sale",
    "X Pierdută": "lost",
}
_KINDS = {"client": "client", "lead": "lead", "supplier": "supplier"}

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.S), msgid)
    for pattern, msgid in (
        # opportunities: the notes of stages the system moves
        (r"^Ofertă cerută$", N_("Ofertă cerută")),
        (r"^Comandă cerută$", N_("Comandă cerută")),
        (r"^Contract cerut$", N_("Contract cerut")),
        (r"^Din oferta (?P<number>.+)$", N_("Din oferta %(number)s")),
        (r"^Oferta (?P<number>\S+) emisă$", N_("Oferta %(number)s emisă")),
        (r"^Comanda (?P<number>\S+) emisă$", N_("Comanda %(number)s emisă")),
        (r"^Contractul (?P<number>\S+) semnat$", N_("Contractul %(number)s semnat")),
        (r"^Oferta (?P<number>\S+) acceptată$", N_("Oferta %(number)s acceptată")),
        (r"^Oferta (?P<number>\S+) respinsă: (?P<note>.+)$", N_("Oferta %(number)s respinsă: %(note)s")),
        (r"^Oferta (?P<number>\S+) respinsă$", N_("Oferta %(number)s respinsă")),
        # partners: the titles of history entries
        (r"^Partener înregistrat: (?P<name>.+) \((?P<kind>[a-z]+)\)$", N_("Partener înregistrat: %(name)s (%(kind)s)")),
        (r"^Partener actualizat: (?P<name>.+) \((?P<kind>[a-z]+)\)$", N_("Partener actualizat: %(name)s (%(kind)s)")),
        (r"^Lead convertit în client$", N_("Lead convertit în client")),
        (r"^Document (?P<file>.+) îndosariat în (?P<where>.+)$", N_("Document %(file)s îndosariat în %(where)s")),
        (r"^Oportunitate (?P<verb>deschisă|actualizată): (?P<rest>.+)$", N_("Oportunitate %(verb)s: %(rest)s")),
        (r"^Etapă (?P<stage>[^:]+): (?P<title>.+)$", N_("Etapă %(stage)s: %(title)s")),
        (r"^Etapă (?P<stage>[^:]+)$", N_("Etapă %(stage)s")),
        (r"^Urmărire programată (?P<when>.+? UTC)(: (?P<title>.+))?$", N_("Urmărire programată %(when)s%(title)s")),
        (r"^Oportunitate câștigată: (?P<amount>.+)$", N_("Oportunitate câștigată: %(amount)s")),
        (r"^Oportunitate pierdută: (?P<reason>.+)$", N_("Oportunitate pierdută: %(reason)s")),
        (r"^Ofertă (?P<number>\S+) acceptată$", N_("Ofertă %(number)s acceptată")),
        (r"^Ofertă (?P<number>\S+) respinsă \((?P<reason>[^)]*)\)$", N_("Ofertă %(number)s respinsă (%(reason)s)")),
        (r"^Contract (?P<number>\S+) încheiat la (?P<date>.+)$", N_("Contract %(number)s încheiat la %(date)s")),
        (r"^Document de cost (?P<number>\S+): (?P<amount>.+)$", N_("Document de cost %(number)s: %(amount)s")),
        (r"^Încasare (?P<amount>.+)$", N_("Încasare %(amount)s")),
        (r"^Partener (?P<verb>adăugat în|scos din) campanie$", N_("Partener %(verb)s campanie")),
        (r"^Task creat: (?P<title>.+)$", N_("Task creat: %(title)s")),
        (r"^Task reasignat: (?P<title>.+)$", N_("Task reasignat: %(title)s")),
        (r"^Task reasignat$", N_("Task reasignat")),
        (r"^Task modificat: (?P<changes>.+)$", N_("Task modificat: %(changes)s")),
        (r"^Răspuns la task de la (?P<who>[^:]+): (?P<title>.+)$", N_("Răspuns la task de la %(who)s: %(title)s")),
        (r"^Răspuns la task de la (?P<who>.+)$", N_("Răspuns la task de la %(who)s")),
        (r"^Task rezolvat \((?P<hours>[^ ]+) ore\)$", N_("Task rezolvat (%(hours)s ore)")),
        (r"^Task redeschis$", N_("Task redeschis")),
        (r"^Deviz emis: (?P<amount>.+)$", N_("Deviz emis: %(amount)s")),
        (r"^Task facturat$", N_("Task facturat")),
        (r"^Email trimis către (?P<to>[^:]+): (?P<subject>.*)$", N_("Email trimis către %(to)s: %(subject)s")),
        (r"^Email eșuat către (?P<to>[^:]+): (?P<subject>.*)$", N_("Email eșuat către %(to)s: %(subject)s")),
        (
            r"^Email importat de la (?P<sender>[^:]+): (?P<subject>.*)$",
            N_("Email importat de la %(sender)s: %(subject)s"),
        ),
        (
            r"^(?P<label>Ofertă|Comandă client|Contract semnat|Factură) (?P<number>\S+): (?P<amount>.+) fără TVA$",
            N_("%(label)s %(number)s: %(amount)s fără TVA"),
        ),
    )
)
"""Each sentence a service writes, as a pattern and the catalogue text it stands for (values kept)."""

_VALUE_TEXTS: Mapping[str, str] = {
    "deschisă": N_("deschisă"),
    "actualizată": N_("actualizată"),
    "adăugat în": N_("adăugat în"),
    "scos din": N_("scos din"),
    "Ofertă": N_("Ofertă"),
    "Comandă client": N_("Comandă client"),
    "Contract semnat": N_("Contract semnat"),
    "Factură": N_("Factură"),
}
"""Words inside a sentence that are themselves texts to translate."""

_HIDDEN_TITLES: Mapping[str, str] = {
    "Task al altui coleg / another person's task": N_("Task al altui coleg"),
    "Task al altui coleg facturat / another person's task invoiced": N_("Task al altui coleg, facturat"),
    "Email al altui coleg / another person's email": N_("Email al altui coleg"),
}
"""The titles the services give a record the reader may not see (written in both languages): one language each."""


_RAW_AMOUNT = re.compile(r"(?<![\w.,])(?P<value>-?\d+\.\d{2}) (?P<currency>[A-Z]{3})$")
"""An amount as the services used to write it in a sentence: ``54000.00 RON`` (at the end of a value)."""

_RAW_UTC = re.compile(r"^(?P<moment>\d{4}-\d\d-\d\d \d\d:\d\d) UTC$")
"""A moment as the services used to write it: ``2026-12-20 10:00 UTC``."""


def _reformat(language: str, value: str, zone: dt.tzinfo | None) -> str:
    """A raw amount or UTC moment inside an old sentence, in the reader's locale (and zone)."""
    moment = _RAW_UTC.match(value)
    if moment is not None:
        at = dt.datetime.strptime(moment["moment"], "%Y-%m-%d %H:%M").replace(tzinfo=dt.UTC)
        return formatting.datetime(at, zone or dt.UTC, language)
    return _RAW_AMOUNT.sub(lambda m: formatting.money(m["value"], m["currency"], language), value)


def translate(language: str, text: str | None, zone: dt.tzinfo | None = None) -> str:
    """A system note or history title in ``language``; a text no pattern knows comes back unchanged.

    Args:
        language: the reader's language.
        text: the sentence a service wrote.
        zone: where the reader's clock is (for a moment the sentence names in UTC).
    """
    if not text:
        return ""
    if text in _HIDDEN_TITLES:
        return i18n.gettext(language, _HIDDEN_TITLES[text])
    for pattern, msgid in _PATTERNS:
        found = pattern.match(text)
        if found is None:
            continue
        values = {key: _reformat(language, value or "", zone) for key, value in found.groupdict().items()}
        for key, value in values.items():
            if value in _VALUE_TEXTS:
                values[key] = i18n.gettext(language, _VALUE_TEXTS[value])
        if "stage" in values and values["stage"] in _STAGES:
            values["stage"] = i18n.label(language, _STAGES[values["stage"]], "stage")
        if "kind" in values and values["kind"] in _KINDS:
            values["kind"] = i18n.label(language, values["kind"], "partner_kind")
        if "title" in values and msgid.endswith("%(when)s%(title)s"):
            values["title"] = f": {values['title']}" if values["title"] else ""
        return i18n.gettext(language, msgid, **values)
    return text


_EMAIL_NOTES: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(r"^attempt (?P<n>\d+) failed, will retry: "),
        N_("Încercarea %(n)s nu a reușit; se reîncearcă automat."),
    ),
    (
        re.compile(r"^gave up after (?P<n>\d+) attempts: "),
        N_("Netrimis: %(n)s încercări nereușite, nu se mai reîncearcă."),
    ),
    (re.compile(r"^refused, never sent: "), N_("Refuzat înainte de trimitere; emailul nu a plecat.")),
    (
        re.compile(r"^the worker sending it stopped before"),
        N_("Trimiterea s-a întrerupt înainte de acceptare; se trimite din nou."),
    ),
    (re.compile(r"^assumed delivered: "), N_("Considerat trimis: predat serverului, confirmarea s-a pierdut.")),
)
"""The notifier's delivery notes (``crm_notifier.domain.failures``, ``outgoing``) by their stable beginnings."""


def email_note(language: str, status: str | None, text: str | None) -> str:
    """What an email's technical delivery note means, in ``language`` ("" when there is none).

    The technical text stays for a tooltip; a note no pattern knows is explained by the email's status.
    """
    if not text:
        return ""
    for pattern, msgid in _EMAIL_NOTES:
        found = pattern.match(text)
        if found is not None:
            return i18n.gettext(language, msgid, **found.groupdict())
    if status == "failed":
        return i18n.gettext(language, N_("Serverul de email l-a refuzat."))
    return i18n.gettext(language, N_("Notă tehnică a serverului (în detalii)."))


_DUPLICATE = re.compile(r"^duplicate of (?P<file>.+) \(import (?P<import_id>[0-9a-fA-F-]{32,36})\)$", re.S)


def duplicate_of(text: str | None) -> dict[str, str] | None:
    """The first import a duplicate's reason names (``crm_mail_ingest.domain.importing.duplicate_reason``), or None.

    Returns:
        ``{"file": ..., "import_id": ...}``; the file is blank when the first import had no file name.
    """
    found = _DUPLICATE.match(text or "")
    if found is None:
        return None
    file = found["file"]
    return {"file": "" if file == "an earlier import" else file, "import_id": found["import_id"]}


_IMPORT_MESSAGES: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(r"^(?P<broken>\d+) of (?P<total>\d+) rows have errors; nothing was imported$"),
        N_("%(broken)s din %(total)s rânduri au erori; nu s-a importat nimic."),
    ),
)
"""What a partner import says when it ends (``crm_partners.domain.imports``) when it rejects the file."""
_IMPORTED = re.compile(r"^(?P<count>\d+) partners imported$")
"""What it says when it imported: the count takes the language's plural form ("1 partener importat.")."""


def import_message(language: str, text: str | None) -> str:
    """A partner import's closing message in ``language``; another one (a failure's reason) is shown as written."""
    imported = _IMPORTED.match(text or "")
    if imported is not None:
        count = int(imported["count"])
        return i18n.ngettext(
            language,
            "%(count)s partener importat.",
            "%(count)s parteneri importați.",
            count,
            count=formatting.number(count, language),
        )
    for pattern, msgid in _IMPORT_MESSAGES:
        found = pattern.match(text or "")
        if found is not None:
            values = {k: formatting.number(int(v), language) for k, v in found.groupdict().items()}
            return i18n.gettext(language, msgid, **values)
    return text or ""


_DOCUMENT_LABELS = {
    "OfferIssued": N_("Ofertă"),
    "ClientOrderPlaced": N_("Comandă client"),
    "ContractSigned": N_("Contract semnat"),
    "InvoiceIssued": N_("Factură"),
}


def _said(language: str, type_: str, d: Mapping[str, Any], zone: dt.tzinfo) -> str | None:
    """The sentence of an entry from its values, or ``None`` when the entry lacks them (an older one)."""

    def money(amount: str) -> str:
        return formatting.money(d[amount], d.get("currency") or "RON", language)

    def title() -> str:
        return f": {d['title']}" if d.get("title") else ""

    if type_ in _DOCUMENT_LABELS and "net" in d and "number" in d:
        label = i18n.gettext(language, _DOCUMENT_LABELS[type_])
        return i18n.gettext(
            language,
            N_("%(label)s %(number)s: %(amount)s fără TVA"),
            label=label,
            number=d["number"],
            amount=money("net"),
        )
    if type_ == "PaymentReceived" and "amount" in d:
        return i18n.gettext(language, N_("Încasare %(amount)s"), amount=money("amount"))
    if type_ == "CostDocumentPosted" and "net" in d and "number" in d:
        return i18n.gettext(
            language, N_("Document de cost %(number)s: %(amount)s"), number=d["number"], amount=money("net")
        )
    if type_ == "FollowUpScheduled" and "follow_up_at" in d:
        when = formatting.datetime(d["follow_up_at"], zone, language)
        return i18n.gettext(language, N_("Urmărire programată %(when)s%(title)s"), when=when, title=title())
    if type_ == "OpportunityWon" and "potential" in d:
        return i18n.gettext(language, N_("Oportunitate câștigată: %(amount)s"), amount=money("potential"))
    if type_ in ("OpportunityOpened", "OpportunityUpdated") and "potential" in d and "title" in d:
        verb = N_("deschisă") if type_ == "OpportunityOpened" else N_("actualizată")
        rest = f"{d['title']}, {money('potential')}"
        return i18n.gettext(
            language, N_("Oportunitate %(verb)s: %(rest)s"), verb=i18n.gettext(language, verb), rest=rest
        )
    if type_ == "EstimateIssued" and "total" in d:
        return i18n.gettext(language, N_("Deviz emis: %(amount)s"), amount=money("total"))
    if type_ in ("CampaignMembersAdded", "CampaignMemberRemoved") and d.get("campaign_name"):
        msgid = (
            N_("Partener adăugat în campania %(campaign)s")
            if type_ == "CampaignMembersAdded"
            else N_("Partener scos din campania %(campaign)s")
        )
        return i18n.gettext(language, msgid, campaign=d["campaign_name"])
    if type_ == "ContractEnded" and "ended_on" in d and "number" in d:
        date = formatting.date(d["ended_on"], language)
        return i18n.gettext(language, N_("Contract %(number)s încheiat la %(date)s"), number=d["number"], date=date)
    return None


def history(language: str, entry: Mapping[str, Any], zone: dt.tzinfo) -> str:
    """A partner-history entry's sentence in ``language``: from its type and values, else from its stored title.

    Args:
        language: the reader's language.
        entry: the entry as the partners API gives it (``type``, ``title``, ``details``).
        zone: the zone moments are shown in.
    """
    details = entry.get("details") or {}
    if not details.get("hidden"):
        try:
            said = _said(language, str(entry.get("type") or ""), details, zone)
        except (ValueError, TypeError, ArithmeticError):
            said = None  # values of an unexpected shape: the stored sentence still reads
        if said is not None:
            return said
    return translate(language, entry.get("title"), zone)


_URL_LINE = re.compile(r"^\s*(?:[^:\n]{1,60}:\s*)?(?P<url>https?://\S+)\s*$")
"""A line that is only a web address, perhaps after a short label ("Open the task: http://..."): how the notifier
ends a message so that its emailed copy can be followed."""


def message_body(body: str | None, link: str | None) -> str:
    """A message's text for the in-app stack, without the raw address line of its own record (its button opens it).

    The services write the record's full address into the body so an emailed copy can be followed; in the app the
    "Deschide" button goes there already, so a line that is only that address (any host, same path) is dropped.
    """
    if not body:
        return ""
    if not link:
        return body
    path = link.split("?", 1)[0].split("#", 1)[0].rstrip("/")
    kept = []
    for line in body.splitlines():
        found = _URL_LINE.match(line)
        if found is not None and urlsplit(found["url"]).path.rstrip("/") == path:
            continue
        kept.append(line)
    return re.sub(r"\n\s*\n(\s*\n)+", "\n\n", "\n".join(kept)).strip()  # no gap left where the line was


SYSTEM_ISSUERS = {"email": N_("Import eMail")}
"""Who issued a task no person issued, by its source: an imported email's task is the mail import's (I2)."""


def issuer(language: str, task: Mapping[str, Any]) -> str:
    """The name of who issued a task: its creator, else the system part that made it (``Import eMail``), else blank.

    Args:
        language: The reader's language.
        task: The task as the tasks API shows it (``creator_name``, ``source``).
    """
    name = task.get("creator_name")
    if name:
        return str(name)
    system = SYSTEM_ISSUERS.get(str(task.get("source") or ""))
    return i18n.gettext(language, system) if system else ""
