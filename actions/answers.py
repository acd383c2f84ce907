"""The wording of every answer, in one place: B1 Dutch, answer first, one line of context, the source.

Functions here get KB records and return an `Answer` (text and buttons). They add no facts of their
own: numbers, names, dates and places all come from the records. Read and fix the style here.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Iterable, List, Optional, Sequence, Tuple
from urllib.parse import urlparse

MONTHS = ["januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober", "november", "december"]
#: The source document, named by what it is and what it calls itself ("Rol bibliotheken bij herstel na corona").
HANDBOOK = "handreiking van KB, SPN en VOB (maart 2021)"

#: Entity name per KB kind, for button payloads.
ENTITY = {"programmes": "programme", "schemes": "scheme", "organisations": "organisation", "examples": "example", "topics": "topic"}


@dataclass
class Answer:
    lines: List[str]
    buttons: List[dict] = field(default_factory=list)
    #: How many first lines carry the answer itself (quoted alone inside another answer).
    lead: int = 1

    @property
    def text(self) -> str:
        return "\n".join(line for line in self.lines if line)


def button(title: str, intent: str, **entities: str) -> dict:
    payload = f"/{intent}" + (json.dumps(entities, ensure_ascii=False) if entities else "")
    return {"title": title, "payload": payload}


def record_button(title: str, intent: str, kind: str, record) -> dict:
    return button(title, intent, **{ENTITY[kind]: record.name})


# -- small formatters ---------------------------------------------------------------------
def euro(amount: float) -> str:
    """58500000 -> '58,5 miljoen euro'; 8.5e9 -> '8,5 miljard euro'."""
    for size, word in ((1e9, "miljard"), (1e6, "miljoen")):
        if amount >= size:
            value = f"{amount / size:.1f}".rstrip("0").rstrip(".").replace(".", ",")
            return f"{value} {word} euro"
    return f"{amount:,.0f} euro".replace(",", ".")


def date_nl(value: Optional[str]) -> str:
    """'2020-12-08' -> '8 december 2020'; '2020-12' -> 'december 2020'; '2020' -> '2020'."""
    if not value:
        return ""
    parts = value.split("-")
    if len(parts) == 3:
        return f"{int(parts[2])} {MONTHS[int(parts[1]) - 1]} {parts[0]}"
    if len(parts) == 2:
        return f"{MONTHS[int(parts[1]) - 1]} {parts[0]}"
    return parts[0]


def site(url: Optional[str]) -> str:
    host = urlparse(url or "").netloc
    return host[4:] if host.startswith("www.") else host


def join_nl(items: Sequence[str]) -> str:
    items = [i for i in items if i]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " en " + items[-1]


def inline(name: str) -> str:
    """A name inside a sentence: 'Het Jeugdpakket' -> 'het Jeugdpakket'."""
    return name[0].lower() + name[1:] if name.startswith(("Het ", "De ")) else name


def sentence(text: Optional[str]) -> str:
    text = (text or "").strip()
    if not text:
        return ""
    text = text[0].upper() + text[1:]
    return text if text[-1] in ".!?" else text + "."


def first_sentences(text: str, n: int) -> str:
    parts = re.split(r"(?<=[.!?])\s+", (text or "").strip())
    return " ".join(parts[:n])


def first_words(text: str, limit: int) -> str:
    """Whole sentences up to about `limit` words (at least one sentence)."""
    out, count = [], 0
    for part in re.split(r"(?<=[.!?])\s+", (text or "").strip()):
        n = len(part.split())
        if out and count + n > limit:
            break
        out.append(part)
        count += n
    return " ".join(out)


def source_line(record, section: bool = True) -> str:
    """Where a fact comes from, short enough for one line."""
    if getattr(record, "is_local", False):
        return "Bron: gegevens van uw bibliotheek."
    sec = getattr(record, "source_section", None)
    if sec:
        if section:
            part = sec.split(">")[-1].replace("Praktijkvoorbeeld:", "").strip()
            return f"Bron: {HANDBOOK}, over '{part}'."
        return f"Bron: {HANDBOOK}."
    url = getattr(record, "source_url", None)
    year = (getattr(record, "source_date", None) or "")[:4]
    return f"Bron: {site(url)}{f' ({year})' if year else ''}."


def source_of(source: dict) -> str:
    """Source line for a JSON source dict (e.g. a cost statement with its own source)."""
    if source.get("note"):
        return f"Bron: {source['note']}."
    return f"Bron: {site(source.get('url'))}."


# -- named records -------------------------------------------------------------------------
def what_is(kind: str, record, kb) -> Answer:
    if kind == "programmes":
        context = ""
        if record.part_of and kb.programme(record.part_of):
            context = f"Het hoort bij {kb.programme(record.part_of).name}."
        elif record.cost and not record.cost_source:
            context = f"Kosten: {record.cost.rstrip('.').lower()}."
        elif record.details:
            context = sentence(record.details[0])
        buttons = [record_button("Voor wie is het?", "ask_audience", kind, record),
                   record_button("Wat kost het?", "ask_cost", kind, record),
                   record_button("Hoe doe ik mee?", "ask_how_to_join", kind, record)]
        if record.id == "ido":
            buttons = [button("Waar is een IDO?", "find_ido"), button("Moet ik lid zijn?", "ido_membership")]
        return Answer([record.summary, context, source_line(record)], buttons)
    if kind == "schemes":
        return Answer(
            [record.summary, f"Het gaat om {euro(record.total_eur)} in totaal.", source_line(record)],
            [record_button("Hoeveel geld gaat waarheen?", "ask_scheme_amount", kind, record),
             record_button("Tot wanneer loopt het?", "ask_scheme_dates", kind, record),
             record_button("Hoe doet de bieb mee?", "ask_how_to_join", kind, record)],
        )
    if kind == "organisations":
        summary = first_sentences(record.summary, 2)
        if record.name.lower() not in summary.lower()[:80]:
            summary = f"{record.name}: {summary}"
        return Answer([summary, first_sentences(record.role or "", 1), source_line(record)])
    if kind == "examples":
        return Answer([record.summary, sentence(record.details[0]) if record.details else "", source_line(record)],
                      [button("Nog een voorbeeld", "ask_example")])
    # topics
    points = " ".join(sentence(p) for p in record.points[:3]) if record.id == "bibliotheekconvenant" else ""
    return Answer([record.summary, points, source_line(record)])


def audience(kind: str, record) -> Answer:
    if kind == "programmes" and record.audience:
        return Answer([f"{record.name} is voor: {record.audience[0].lower() + record.audience[1:]}", source_line(record)],
                      [record_button("Hoe doe ik mee?", "ask_how_to_join", kind, record)])
    if kind == "schemes" and record.target_groups:
        return Answer([f"{record.name} is voor {join_nl(record.target_groups)}.", source_line(record)],
                      [record_button("Hoe doet de bieb mee?", "ask_how_to_join", kind, record)])
    return not_in_kb(f"Voor wie {record.name} is")


def cost(kind: str, record) -> Answer:
    if kind == "programmes" and record.cost:
        source = source_of(record.cost_source) if record.cost_source else source_line(record)
        check = "Vraag het voor de zekerheid bij uw bibliotheek." if record.cost_source else ""
        return Answer([f"{record.name}: {record.cost.rstrip('.')[0].lower() + record.cost.rstrip('.')[1:]}.", check, source])
    if kind == "schemes":
        return scheme_amount(record, None)
    return not_in_kb(f"Wat {record.name} kost")


def how_to_join(kind: str, record) -> Answer:
    text = getattr(record, "how_to_join", None)
    if text:
        return Answer([text, source_line(record)])
    return not_in_kb(f"Hoe u meedoet aan {record.name}")


def not_in_kb(what: str) -> Answer:
    return Answer([f"{what}, staat niet in mijn gegevens.", "Vraag het aan een medewerker van uw bibliotheek."])


def choose(question: str, kind: str, records: Iterable, intent: str) -> Answer:
    records = list(records)
    return Answer([question], [record_button(r.name, intent, kind, r) for r in records[:6]])


def programme_list(records: Sequence, matched: bool = False) -> Answer:
    intro = "Dit past bij uw vraag:" if matched else "De bibliotheek doet veel. Een paar voorbeelden:"
    return Answer([intro, join_nl([r.name for r in records[:6]]) + ".", "Kies er een voor meer uitleg."],
                  [record_button(r.name, "ask_what_is", "programmes", r) for r in records[:6]])


# -- schemes ------------------------------------------------------------------------------
def scheme_amount(scheme, part) -> Answer:
    if part is not None:
        how = f" via het {part.channel}" if part.channel else ""
        purpose = f" Het is voor {part.purpose}." if part.purpose else ""
        return Answer([f"Van {inline(scheme.name)} gaat {euro(part.amount_eur)}{how}.{purpose}",
                       f"{scheme.name} is in totaal {euro(scheme.total_eur)}.", source_line(scheme)])
    parts = [f"{euro(p.amount_eur)} {f'via het {p.channel}' if p.channel else f'voor {p.purpose}'}" for p in scheme.parts]
    context = f"De handreiking noemt daarvan: {join_nl(parts)}." if parts else sentence(scheme.channel)
    return Answer([f"{scheme.name} is in totaal {euro(scheme.total_eur)}.", context, source_line(scheme)],
                  [button("Tot wanneer loopt het?", "ask_scheme_dates", scheme=scheme.name)])


def part_unknown(scheme, asked: str) -> Answer:
    names = [p.channel or (p.name[0].lower() + p.name[1:]) for p in scheme.parts]
    known = f" Ik ken deze delen: {join_nl(names)}." if names else ""
    return Answer([f"Over '{asked}' bij {inline(scheme.name)} heb ik geen bedrag.{known}", source_line(scheme)])


def scheme_dates(scheme) -> Answer:
    lines = []
    if scheme.runs_until:
        lines.append(f"Volgens de handreiking (maart 2021) loopt {inline(scheme.name)} {scheme.runs_until}.")
    if scheme.starts:
        lines.append(f"{'Het' if lines else scheme.name} begint {scheme.starts[0].lower() + scheme.starts[1:]}.")
    if scheme.decided_on:
        who = f"Het {scheme.decided_by}" if scheme.decided_by else "Men"
        lines.append(f"{who} besloot erover in {date_nl(scheme.decided_on)}.")
    elif scheme.announced_on:
        lines.append(f"Het werd bekend op {date_nl(scheme.announced_on)}.")
    if not lines:
        return not_in_kb(f"Wanneer {scheme.name} loopt")
    return Answer(lines[:2] + [source_line(scheme)])


def scheme_list(schemes: Sequence) -> Answer:
    items = [f"{s.name} ({euro(s.total_eur)})" for s in schemes]
    return Answer([f"Ik ken {len(schemes)} regelingen van de rijksoverheid: {join_nl(items)}.", "Kies er een voor meer uitleg.",
                   source_line(schemes[0], section=False) if schemes else ""],
                  [record_button(s.name, "ask_what_is", "schemes", s) for s in schemes])


# -- figures ------------------------------------------------------------------------------
def figure(stat, newer=None, national_only: bool = False) -> Answer:
    lines = []
    if national_only:
        lines.append("Ik heb geen cijfers per plaats. Dit is het cijfer voor heel Nederland:")
    lines.append(stat.phrasing)
    if newer is not None:
        year = (newer.source_date or "")[:4]
        lines.append(f"Nieuwer cijfer ({site(newer.source_url)}{f', {year}' if year else ''}): {newer.phrasing}")
    elif stat.context:
        lines.append(sentence(stat.context[0]))
    lines.append(source_line(stat))
    return Answer(lines)


def figure_unknown(candidates: Sequence, years: Sequence[int] = ()) -> Answer:
    """No figure for this question (or not for the year asked): say so, offer the nearest ones by name only."""
    asked = join_nl([str(y) for y in sorted(years)])
    lines = [f"Dat cijfer heb ik niet voor {asked}." if asked else "Dat cijfer heb ik niet.",
             "Ik noem geen cijfer dat ik niet zeker weet."]
    if candidates:
        lines.append("Bedoelt u misschien een van deze?")
    else:
        lines.append("Vraag het aan een medewerker van uw bibliotheek.")

    def title(stat) -> str:
        when = stat.year or (stat.as_of or "")[:4] or stat.period
        return sentence(stat.subject)[:-1] + (f" ({when})" if when and years else "")

    return Answer(lines, [button(title(s), "ask_figure", figure=s.id) for s in candidates[:3]])


# -- IDO ----------------------------------------------------------------------------------
def _desk_name(desk) -> str:
    """': Bibliotheek Marum', or ' in de bibliotheek' when the source names no branch (no invented names)."""
    return f": {desk.display_name}" if desk.display_name else " in de bibliotheek"


def _dated(desk) -> str:
    year = desk.source_year
    return f"volgens een bericht uit {year}" if year else "volgens een bericht zonder datum"


def _announced(desk, dated: bool = False) -> str:
    """The caveat of a desk whose opening is announced only; with the date of its source when `dated`."""
    when = f" ({_dated(desk)})" if dated else ""
    return f"Let op: de opening is aangekondigd{when}, maar niet bevestigd."


def _desk_source(desk) -> str:
    year = f" ({desk.source_year})" if desk.source_year else ""
    return f"Bron: {site(desk.source_url)}{year}." if desk.source_url else "Bron: gegevens van uw bibliotheek."


def ido_nearby(place, desks: Sequence[Tuple[object, float]], website: str, stopped: Sequence = (), note: str = "",
               contact: str = "") -> Answer:
    """The nearest desks. `stopped`: discontinued desks in the place asked about, said first and never offered.
    `note`: what the source says of the desk in the place asked about that the question asks after.
    `contact`: the contact detail asked for ('het telefoonnummer'): the desk's address when that was asked and
    the data has one, else said plainly not to be known, first."""
    desk, km = desks[0]
    if contact and not stopped:
        return _contact(desk, km, place, contact, website)
    gone = [f"Het IDO in {d.place} is gestopt ({_dated(d)})." for d in stopped]
    if gone:
        lines = gone[:1] + [f"Het dichtstbijzijnde IDO dat nog open is, is in {desk.place} ({km:.0f} km){_desk_name(desk)}."]
    elif km < 1:
        lines = [f"In {desk.place} is een IDO{_desk_name(desk)}."]
    else:
        lines = [f"Het dichtstbijzijnde IDO in mijn lijst is in {desk.place}, {km:.0f} km van {place.canonical}{_desk_name(desk)}."]
    if desk.status == "aangekondigd":
        lines.append(_announced(desk, dated=not desk.opening_info))
    if desk.opening_info:
        lines.append(f"Open: {desk.opening_info} ({_dated(desk)}). Vraag na of dat nog klopt.")
    # A question after this desk's note is about this desk: the desks around it and the list's caveat are left out.
    noted = km < 1 and not gone and bool(note)
    if noted:
        lines.append(f"Mijn bron zegt er ook: {note.rstrip('. ')}.")
    # What a route answer repeats of this one: the desk, and what the source says of it that was asked after.
    lead = len(lines) if noted else 2 if gone else 1
    others = [f"{d.place} ({k:.0f} km{', aangekondigd' if d.status == 'aangekondigd' else ''})"
              for d, k in desks[1:3]] if not (gone or noted) else []
    if others:
        lines.append(f"Ook in de buurt: {join_nl(others)}.")
    if not noted:
        lines.append(f"Mijn lijst is niet compleet. Kijk ook op {website}." if website else "Mijn lijst is niet compleet.")
    lines.append(_desk_source(desk))
    return Answer(lines, [button("Moet ik lid zijn?", "ido_membership"), button("Wanneer is het open?", "ido_opening_hours", place=desk.place)],
                  lead=lead)


def _desk_at(desk, km: float, place) -> str:
    """'Marum', or 'Leek (8 km van Zuidhorn)' when the desk is not in the place asked about."""
    return desk.place if km < 1 else f"{desk.place} ({km:.0f} km van {place.canonical})"


def _contact(desk, km: float, place, contact: str, website: str) -> Answer:
    where = f"het IDO in {_desk_at(desk, km, place)}"
    if contact == "het adres" and desk.address:
        lines = [f"Het adres van {where}: {desk.address}."]
    else:
        lines = [f"{contact[0].upper()}{contact[1:]} van {where} staat niet in mijn gegevens."]
    if desk.status == "aangekondigd":
        lines.append(_announced(desk))
    lines.append(f"Kijk op de website van de bibliotheek{f' of op {website}' if website else ''}, of vraag het aan de balie.")
    lines.append(_desk_source(desk))
    return Answer(lines, [button("Wanneer is het open?", "ido_opening_hours", place=desk.place)])


def desk_note(desk) -> Answer:
    """What the source says of one desk beyond its hours (who opened it, where it is now), with its status."""
    name = f" ({desk.display_name})" if desk.display_name else ""
    lines = [f"Over het IDO in {desk.place}{name}: {desk.note.rstrip('. ')}."]
    if desk.status == "vervallen":
        lines.append(f"Dit IDO is gestopt ({_dated(desk)}).")
    elif desk.status == "aangekondigd":
        lines.append(_announced(desk))
    elif desk.opened_on:
        lines.append(f"Open sinds {date_nl(desk.opened_on)}.")
    lines.append(_desk_source(desk))
    return Answer(lines, [button("Wanneer is het open?", "ido_opening_hours", place=desk.place)])


def ask_place() -> Answer:
    return Answer(["In welke plaats of gemeente woont u? Dan zoek ik het dichtstbijzijnde IDO."])


def place_unknown(text: str, website: str) -> Answer:
    shown = text if len(text) <= 40 else text[:40] + "…"
    lines = [f"De plaats '{shown}' ken ik niet.", "Typ de naam van uw woonplaats of gemeente."]
    if website:
        lines.append(f"Alle IDO's staan op {website}.")
    return Answer(lines)


def ido_hours(desk, km: float, place) -> Answer:
    where = _desk_at(desk, km, place)
    caveat = _announced(desk) if desk.status == "aangekondigd" else ""
    if desk.opening_info:
        return Answer([f"Het IDO in {where}: {desk.opening_info}.", caveat, f"Dat staat {_dated(desk).replace('volgens ', 'in ')}.",
                       "Vraag bij de bibliotheek of het nog klopt."])
    return Answer([f"Wanneer het IDO in {where} open is, weet ik niet.", caveat, "Bel of bezoek de bibliotheek. Daar weten ze het."])


def ido_membership(ido) -> Answer:
    if ido is None or not ido.cost:
        return not_in_kb("Of u lid moet zijn")
    source = source_of(ido.cost_source) if ido.cost_source else source_line(ido)
    return Answer([f"{ido.cost}", "Vraag het voor de zekerheid bij uw bibliotheek.", source], [button("Waar is een IDO?", "find_ido")])


def government_route(ido, service: str, nearest: Optional[Answer]) -> Answer:
    what = f"Met vragen over {service}" if service else "Met vragen over de overheid"
    lines = [f"{what} helpt het {ido.name} in de bibliotheek.", first_sentences(ido.summary, 3).split(". ")[-1].rstrip(".") + "."]
    if nearest is not None:
        return Answer(lines + nearest.lines[:nearest.lead] + nearest.lines[-1:], nearest.buttons)
    lines += ["Zal ik een IDO bij u in de buurt zoeken?", source_line(ido)]
    return Answer(lines, [button("Ja, zoek een IDO", "find_ido"), button("Moet ik lid zijn?", "ido_membership")])


# -- answer units: facts in prose, passages, clarifying and not knowing -------------------
def fact(record) -> Answer:
    """A fact from the handbook (or a dated public source) in its own B1 words, with where it comes from."""
    return Answer([record.answer, sentence(record.context) if record.context else "", source_line(record)])


def passage(record) -> Answer:
    return Answer([first_words(record.text, 30), source_line(record)])


def unit_button(unit) -> dict:
    return button(unit.label, "ask_what_is", unit=unit.key)


def clarify(units: Sequence) -> Answer:
    """A short question with the best candidates as buttons: better than a confident wrong answer."""
    if not units:
        return unknown()
    return Answer(["Ik weet niet precies wat u bedoelt. Gaat het over een van deze?",
                   "Staat het er niet bij? Vraag het aan een medewerker van uw bibliotheek."],
                  [unit_button(u) for u in units])


def probably(answer: Answer, others: Sequence) -> Answer:
    """A likely answer said as likely: the hedge first, then the answer, then the other candidates."""
    lines = ["Misschien bedoelt u dit:", *answer.lines]
    lines.append("Bedoelt u iets anders? Kies hieronder, of vraag het aan een medewerker van uw bibliotheek."
                 if others else "Bedoelt u iets anders? Vraag het aan een medewerker van uw bibliotheek.")
    return Answer(lines, [unit_button(u) for u in others])


def unknown() -> Answer:
    return Answer(["Dat weet ik niet. Het staat niet in mijn gegevens.",
                   "Vraag het aan een medewerker van uw bibliotheek."],
                  [button("Wat kun je wel?", "bot_capabilities")])


# -- routes and fallback ------------------------------------------------------------------
def library_route() -> Answer:
    return Answer(["Dat weet ik niet. Dat verschilt per bibliotheek.",
                   "Vraag het aan de balie, bel uw bibliotheek of kijk op haar website."],
                  [button("Wat kun je wel?", "bot_capabilities")])


def unsure(matches: Sequence, passage=None) -> Answer:
    buttons = [record_button(f"Over {m.name}", "ask_what_is", m.kind, m) for m in matches[:3]]
    if passage is not None:
        return Answer(["Dit vond ik in de handreiking:", first_words(passage.text, 25), source_line(passage),
                       "Bedoelt u iets anders? Vraag het aan een medewerker van uw bibliotheek."], buttons)
    lines = ["Ik weet niet zeker wat u bedoelt."]
    if buttons:
        lines.append("Bedoelt u een van deze?")
    lines.append("Of vraag het aan een medewerker van uw bibliotheek.")
    return Answer(lines, buttons)


def personal_data_warning() -> Answer:
    return Answer(["Let op: typ hier geen persoonlijke gegevens, zoals uw BSN, telefoonnummer of adres.",
                   "Die heb ik niet nodig. Ik bewaar ze niet."])


def apology() -> Answer:
    return Answer(["Sorry, er ging iets mis bij het opzoeken.",
                   "Probeer het later nog eens, of vraag het aan een medewerker van uw bibliotheek."])
