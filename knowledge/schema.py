"""The shape of every data file: what a record must hold, checked before anything reaches the database.

These pydantic models are the contract for the curated files in `knowledge/data/` and for a
library's own files in the local folder. Errors name the file, the record and the field.
"""
from __future__ import annotations

import re
from typing import Dict, List, Optional

from pydantic import BaseModel, Extra, HttpUrl, conlist, constr, root_validator, validator

ID_PATTERN = r"^[a-z0-9][a-z0-9-]*$"
# A date as precise as the source is: a year, a month or a day.
PARTIAL_DATE = re.compile(r"^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?$")

Id = constr(regex=ID_PATTERN, min_length=1, max_length=80)
Text = constr(strip_whitespace=True, min_length=1, max_length=2000)
ShortText = constr(strip_whitespace=True, min_length=1, max_length=300)

COVENANT_TASKS = ("geletterdheid", "digitale inclusie", "leven lang ontwikkelen")
IDO_STATUSES = ("open", "aangekondigd", "vervallen")


class Strict(BaseModel):
    class Config:
        extra = Extra.forbid
        anystr_strip_whitespace = True


def _check_partial_date(value: Optional[str]) -> Optional[str]:
    if value is None or value == "":
        return None
    value = str(value)
    if not PARTIAL_DATE.match(value):
        raise ValueError("datum moet JJJJ, JJJJ-MM of JJJJ-MM-DD zijn")
    return value


class Source(Strict):
    """Where a record comes from: a section of the handbook, or a public page with its date."""

    section: Optional[ShortText] = None
    url: Optional[HttpUrl] = None
    date: Optional[str] = None
    note: Optional[ShortText] = None

    _date = validator("date", pre=True, allow_reuse=True)(_check_partial_date)

    @root_validator(skip_on_failure=True)
    def _section_or_url(cls, values):
        if not values.get("section") and not values.get("url"):
            raise ValueError("een bron heeft een 'section' (deel van de handreiking) of een 'url' nodig")
        return values


class Named(Strict):
    id: Id
    name: ShortText
    aliases: List[ShortText] = []
    source: Source


class Programme(Named):
    kind: constr(regex=r"^(programma|activiteit|dienst|project|voorziening)$") = "programma"
    summary: Text
    audience: Optional[Text] = None
    #: Needs and situations the programme serves, in a citizen's words ("ik wil leren mailen"): for retrieval.
    needs: List[ShortText] = []
    cost: Optional[ShortText] = None
    #: Only when the cost statement comes from elsewhere than the record's own source.
    cost_source: Optional[Source] = None
    how_to_join: Optional[Text] = None
    details: List[Text] = []
    part_of: Optional[Id] = None
    #: The KB's own grouping under the covenant's three tasks, for staff: the handreiking does not map
    #: programmes to tasks, so the bot never states it as a fact.
    tasks: List[str] = []
    organisations: List[Id] = []
    links: List[HttpUrl] = []

    @validator("tasks", each_item=True)
    def _task(cls, value):
        if value not in COVENANT_TASKS:
            raise ValueError(f"onbekende opgave; kies uit {', '.join(COVENANT_TASKS)}")
        return value


class SchemePart(Strict):
    name: ShortText
    amount_eur: float
    channel: Optional[ShortText] = None
    purpose: Optional[Text] = None
    available_from: Optional[str] = None
    note: Optional[Text] = None

    _date = validator("available_from", pre=True, allow_reuse=True)(_check_partial_date)


class FundingScheme(Named):
    summary: Text
    total_eur: float
    decided_on: Optional[str] = None
    decided_by: Optional[ShortText] = None
    announced_in: Optional[ShortText] = None
    announced_on: Optional[str] = None
    starts: Optional[ShortText] = None
    runs_until: Optional[ShortText] = None
    target_groups: List[ShortText] = []
    purpose: Text
    channel: Optional[Text] = None
    how_to_join: Text
    parts: List[SchemePart] = []
    link: Optional[HttpUrl] = None
    organisations: List[Id] = []
    details: List[Text] = []

    _dates = validator("decided_on", "announced_on", pre=True, allow_reuse=True)(_check_partial_date)

    @validator("parts")
    def _parts_fit_total(cls, parts, values):
        total = values.get("total_eur")
        if total is not None and sum(p.amount_eur for p in parts) > total:
            raise ValueError("de delen zijn samen meer dan het totaalbedrag")
        return parts


class Statistic(Strict):
    id: Id
    subject: ShortText
    about: Optional[Id] = None
    value: float
    value_max: Optional[float] = None
    unit: ShortText
    qualifier: Optional[constr(regex=r"^(circa|ruim|meer dan|bijna|een kleine|gemiddeld|slechts|tot)$")] = None
    year: Optional[int] = None
    period: Optional[ShortText] = None
    as_of: Optional[str] = None
    phrasing: Text
    keywords: List[ShortText] = []
    context: List[Text] = []
    source: Source
    newer_than_document: bool = False

    _as_of = validator("as_of", pre=True, allow_reuse=True)(_check_partial_date)

    @validator("year")
    def _year(cls, value):
        if value is not None and not 1900 <= value <= 2100:
            raise ValueError("jaar buiten bereik")
        return value

    @validator("value_max")
    def _range(cls, value, values):
        if value is not None and "value" in values and value < values["value"]:
            raise ValueError("value_max is kleiner dan value")
        return value


class Example(Named):
    title: ShortText
    library: ShortText
    place: Optional[ShortText] = None
    started: Optional[str] = None
    summary: Text
    details: List[Text] = []
    programmes: List[Id] = []
    tasks: List[str] = []

    _started = validator("started", pre=True, allow_reuse=True)(_check_partial_date)


class Organisation(Named):
    full_name: Optional[ShortText] = None
    summary: Text
    role: Optional[Text] = None
    link: Optional[HttpUrl] = None


class Topic(Named):
    """Anything else the handbook explains: the covenant, the pamphlet, course effects, ..."""

    summary: Text
    points: List[Text] = []
    year: Optional[int] = None
    organisations: List[Id] = []


class Passage(Strict):
    id: Id
    section: ShortText
    title: ShortText
    text: Text
    keywords: List[ShortText] = []
    refers_to: List[Id] = []


class Fact(Strict):
    """One fact of the handbook (or of a dated public source) with its own B1 answer: an answer unit.

    `quote` holds the source sentence(s) verbatim, so tests can check that the answer says no more than its
    source (every number in `answer` is in `quote`) and that every sentence of the handbook has a unit.
    """

    id: Id
    section: Optional[ShortText] = None
    source: Optional[Source] = None
    about: Optional[Id] = None
    quote: Text
    answer: Text
    context: Optional[Text] = None
    keywords: List[ShortText] = []
    questions: List[ShortText] = []

    @root_validator(skip_on_failure=True)
    def _section_or_source(cls, values):
        if not values.get("section") and not values.get("source"):
            raise ValueError("een feit heeft een 'section' (deel van de handreiking) of een 'source' met url nodig")
        return values


class Synonyms(Strict):
    """Words that mean the same in a question ('plek', 'locatie', 'vestiging'): ways of saying, not facts."""

    words: conlist(ShortText, min_items=2)

    @property
    def name(self) -> str:
        """A group is known by its first word: a library's own group with that first word replaces ours."""
        return self.words[0]


class ExtraPlace(Strict):
    name: ShortText
    municipality: Optional[ShortText] = None
    province: Optional[ShortText] = None
    lat: float
    lon: float
    source: ShortText
    aliases: List[ShortText] = []

    @validator("lat")
    def _lat(cls, value):
        if not 50.5 <= value <= 53.8:
            raise ValueError("breedtegraad ligt niet in Nederland (50.5 tot 53.8)")
        return value

    @validator("lon")
    def _lon(cls, value):
        if not 3.2 <= value <= 7.3:
            raise ValueError("lengtegraad ligt niet in Nederland (3.2 tot 7.3)")
        return value

    @validator("aliases", pre=True)
    def _split(cls, value):
        if isinstance(value, str):
            return [part.strip() for part in value.split(";") if part.strip()]
        return value or []


class IdoLocation(Strict):
    """One row of an IDO locations CSV: the national file or a library's own."""

    place: ShortText
    municipality: Optional[ShortText] = None
    library_organisation: Optional[ShortText] = None
    branch: Optional[ShortText] = None
    address: Optional[ShortText] = None
    opening_info: Optional[Text] = None
    opened_on: Optional[str] = None
    source_url: Optional[HttpUrl] = None
    source_date: Optional[str] = None
    status: str
    note: Optional[Text] = None
    phone: Optional[ShortText] = None
    gazetteer_place: Optional[ShortText] = None

    _dates = validator("opened_on", "source_date", pre=True, allow_reuse=True)(_check_partial_date)

    @validator("*", pre=True)
    def _empty_is_unknown(cls, value):
        # In the CSV an empty cell means "unknown", never "none".
        return None if isinstance(value, str) and value.strip() == "" else value

    @validator("status")
    def _status(cls, value):
        if value not in IDO_STATUSES:
            raise ValueError(f"status moet een van {', '.join(IDO_STATUSES)} zijn")
        return value

    @root_validator(skip_on_failure=True)
    def _source_needed(cls, values):
        if not values.get("source_url") and not values.get("note"):
            raise ValueError("een IDO-regel heeft een source_url of een note (bijv. 'eigen gegevens bibliotheek') nodig")
        return values


#: Top-level key in a YAML data file -> the model of its records.
YAML_KINDS: Dict[str, type] = {
    "programmes": Programme,
    "schemes": FundingScheme,
    "statistics": Statistic,
    "examples": Example,
    "organisations": Organisation,
    "topics": Topic,
    "passages": Passage,
    "facts": Fact,
    "synonyms": Synonyms,
    "places": ExtraPlace,
}

#: Which CSV files the builder reads, by the start of their name.
CSV_KINDS: Dict[str, type] = {
    "ido_": IdoLocation,
    "places": ExtraPlace,
}
