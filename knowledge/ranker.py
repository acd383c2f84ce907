"""Answer units and one ranking over all of them: every fact the KB holds, reachable by any question.

An *answer unit* is one thing the bot can say: a programme's what / for whom / cost / how to join, a
scheme's amount / dates / audience / how to join, each figure, each fact in prose (`facts`), each
example, organisation, topic and passage. Every question ranks all units at once. The words of the
question are one piece of evidence (BM25 over lemma + stem terms, Dutch compounds split against the
KB's own vocabulary); the NLU's intent ranking, the records it named and the conversation's context
are others. `decide` turns the ranking into one of three moves with one calibrated rule: answer,
ask a short clarifying question, or say the KB does not know.

No Rasa here: `actions/answer.py` gathers the evidence from the tracker and renders the move.
"""
from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Dict, FrozenSet, Iterable, Iterator, List, Optional, Sequence, Tuple

from rapidfuzz import fuzz, process

from knowledge.text import STOPWORDS, as_digits, compact, is_function_word, is_number_word, is_word, lemma_of, term, terms, words

#: Which attributes of a unit each intent speaks for. An intent is evidence, not a switch.
INTENT_ATTRIBUTES: Dict[str, Dict[str, float]] = {
    "ask_what_is": {"what": 1.0, "example": 1.0, "fact": 0.5, "passage": 0.5},
    "list_programmes": {"what": 1.0, "fact": 0.5},
    "ask_audience": {"audience": 1.0},
    "ask_cost": {"cost": 1.0},
    "ask_how_to_join": {"join": 1.0},
    "ask_scheme_amount": {"amount": 1.0},
    "ask_scheme_dates": {"dates": 1.0},
    "list_schemes": {"amount": 1.0, "what": 1.0},
    "ask_figure": {"figure": 1.0},
    "ask_example": {"example": 1.0},
    "ask_covenant": {"what": 1.0, "fact": 0.5},
    "ido_membership": {"cost": 1.0},
    "nlu_fallback": {"fact": 1.0, "what": 1.0, "passage": 0.5},
}

#: Which records an intent speaks for (an IDO question is about the IDO), whatever the attribute.
INTENT_RECORDS: Dict[str, FrozenSet[str]] = {
    "government_help": frozenset({"ido"}),
    "find_ido": frozenset({"ido"}),
    "ido_membership": frozenset({"ido"}),
    "ido_opening_hours": frozenset({"ido"}),
    "ask_covenant": frozenset({"bibliotheekconvenant"}),
}

#: Words that say which attribute is asked, whatever the intent: part of a unit's own index text.
ATTRIBUTE_WORDS = {
    "what": "wat is betekent uitleg vertel over",
    "audience": "voor wie doelgroep bedoeld geschikt",
    "cost": "kosten kost betalen gratis prijs geld lid lidmaatschap",
    "join": "meedoen aanmelden inschrijven deelnemen hoe",
    "amount": "bedrag geld euro miljoen budget hoeveel",
    "dates": "wanneer datum loopt tot besloten",
    "figure": "hoeveel aantal cijfer",
}

#: The terms of the words that ask for an attribute: in a citizen's need ('ik wil meer meedoen') they say nothing
#: of what the unit is about, and in a question ('doen alle bibliotheken daaraan mee?') they ask after the thread.
ASKING_TERMS = frozenset(t for words in ATTRIBUTE_WORDS.values() for t in terms(words, limit=None))

#: The weights of the evidence. Set on tests/eval/heldout.yml with `make calibrate` (see docs/DESIGN.md).
W_LEXICAL = 0.60
#: How much of a unit's text is indexed (characters, None for all): the start of a text (names, summary, answer)
#: says what it is about; its tail (details, example questions) adds words that match everything a little.
#: Measured on the tuning sets (169/210 at 500): 163-165 at 700, 900, 1200, 2000 and whole texts, with BM25's
#: b at 0.5, 0.75 and 0.9. A programme's needs are indexed outside this cut (`SAID_TF`) and matched whole as
#: phrases (`phrase_match`).
INDEX_CHARS: Optional[int] = 500
#: What a word of a unit's short phrases (a programme's needs) counts for as a word of the unit, once however often
#: the needs say it (a word of its text counts 1 each time). The needs were cut off with the text before: tuning
#: sets 237 -> 242/290; swept 0.3-1.0: 242 each, fewest wrong answers at 0.5-0.7.
SAID_TF = 0.5
W_INTENT = 0.22
W_NAMED = 0.25
#: A named record's own units come just before the facts about it ('wat is het Jeugdpakket?').
W_OWN = 0.03
RECORD_KINDS = ("programmes", "schemes", "examples", "organisations", "topics")
#: A figure about another subject than the one named, or counting something else than asked, loses this.
P_OTHER_SUBJECT = 0.30
W_CONTEXT = 0.20
#: A record that belongs to the conversation's subject gets this part of the subject's context weight.
RELATIVE_CONTEXT = 0.75
W_YEAR = 0.10
#: A unit one of whose short phrases (a programme's needs) is wholly in the question.
W_PHRASE = 0.05
PHRASE_MASS = 6.0

#: Weights of question words the units do not use (see `Ranker.query_terms`).
FUNCTION_WORD_WEIGHT = 0.3
COMMON_WORD_WEIGHT = 1.2
UNKNOWN_WORD_SHARE = 0.7
#: A question whose words weigh less than this has no content words; its lexical evidence is neutral.
EMPTY_QUESTION = 1.0
NEUTRAL_LEXICAL = 0.5
#: Matched idf weight that counts as fully telling on its own (about three specific words).
MASS = 9.0

#: The rule of `decide`: answer at ANSWER_AT (or on the words alone at LEXICAL_ANSWER_AT), when no unit about
#: another subject is within MARGIN; clarify from CLARIFY_AT (or LEXICAL_CLARIFY_AT); below that, unknown.
ANSWER_AT = 0.58
LEXICAL_ANSWER_AT = 0.75
MARGIN = 0.10
CLARIFY_AT = 0.40
LEXICAL_CLARIFY_AT = 0.6


@dataclass(frozen=True)
class Unit:
    key: str                 # "programmes:boekstart#cost", "facts:fact-x", "statistics:leden-2019"
    kind: str                # the record kind
    ref: str                 # the record id
    attribute: str           # what, audience, cost, join, amount, dates, figure, fact, example, passage
    about: str               # the record the unit is about ("" when none)
    label: str               # a short title, for a button
    years: FrozenSet[int] = frozenset()
    numeric: bool = False    # it states a figure
    numbers: FrozenSet[str] = frozenset()  # the values it states ('28 duizend' = '28.000'), to see restatements
    reason: bool = False     # it gives a reason ('omdat', 'doordat'): what a 'waarom' question wants
    sentence: str = ""       # the source sentence, when one sentence is split over several units (its siblings)
    places: FrozenSet[str] = frozenset()  # a desk's place and municipality, compacted ('sudwestfryslan')


@dataclass
class Evidence:
    """What is known of one turn: the words, the NLU's view, and the conversation so far."""

    text: str
    intents: Dict[str, float] = field(default_factory=dict)
    named: FrozenSet[str] = frozenset()        # record ids named in this turn
    context: Optional[str] = None              # record id the conversation was about
    context_attribute: Optional[str] = None    # attribute of the previous answer
    previous: Optional[str] = None             # key of the previous answer unit
    related: Dict[str, FrozenSet[str]] = field(default_factory=dict)  # record id -> the records it belongs with
    place: Optional[str] = None                # the town of this turn, or of the desk the conversation was about
    earlier: str = ""                          # the question before, when it got no answer and this one refines it

    @property
    def years(self) -> FrozenSet[int]:
        return years_in(self.text) or years_in(self.earlier)


def years_in(text: str) -> FrozenSet[int]:
    """The years a question states; 'vóór corona' is 2019."""
    return _years(text) | ({PRE_CORONA_YEAR} if PRE_CORONA.search(text or "") else frozenset())


@dataclass(frozen=True)
class Ranked:
    unit: Unit
    score: float
    lexical: float
    bm25: float
    #: The part of the score that an intent gave for the record itself (an IDO question for the IDO).
    record_prior: float = 0.0


@dataclass(frozen=True)
class Decision:
    move: str                      # "answer", "clarify" or "unknown"
    ranked: Tuple[Ranked, ...]     # best first
    also: Tuple[Ranked, ...] = ()  # more units to answer with (a question in parts)

    @property
    def best(self) -> Optional[Ranked]:
        return self.ranked[0] if self.ranked else None


def unhyphen(text: str) -> str:
    """'IDO-locaties' as two words: the parts are what the units know ('IDO', 'locaties')."""
    return re.sub(r"(?<=\w)-(?=\w)", " ", text or "")


#: Question words that say what kind of answer is wanted: a date, a number.
WHEN_WORDS = frozenset({"wanneer", "when", "sinds", "datum"})
W_QUESTION_WORD = 0.06
WHO_WORDS = frozenset({"wie", "who", "welke organisatie", "door wie"})
FOR_WHOM = re.compile(r"\b(voor|for) (wie|who)\b", re.I)
WHY_WORDS = frozenset({"waarom", "why", "hoezo", "reden", "redenen", "waardoor", "oorzaak", "oorzaken"})


def asks_reason(text: str) -> bool:
    """'waarom ...', 'why ...', 'wat is de reden': a reason is asked."""
    return bool(WHY_WORDS & set(words(text)))


def asks_agent(text: str) -> bool:
    """'wie betaalt ...', 'who decides ...': a person or body is asked ('voor wie is het?' asks an audience)."""
    return bool(WHO_WORDS & set(words(text))) and not FOR_WHOM.search(text or "")


#: A unit whose source sentence gives a reason.
GIVES_REASON = re.compile(r"\b(omdat|doordat|daarom|want|reden|redenen|zodat|waardoor|waarom|dankzij|vanwege)\b", re.I)
#: Words that show an attribute is asked. An intent's support for an attribute the words do not show is halved.
ATTRIBUTE_CUES = {
    "dates": frozenset({"wanneer", "when", "sinds", "tot", "loopt", "datum", "jaar", "maand", "besloten", "begint", "start"}),
    "amount": frozenset({"hoeveel", "geld", "euro", "bedrag", "budget", "miljoen", "miljard", "kost", "kosten", "verdeeld",
                         "potje", "money"}),
    "cost": frozenset({"kost", "kosten", "gratis", "betalen", "betaal", "prijs", "geld", "lid", "lidmaatschap", "free",
                       "cost", "pay", "euro"}),
    "audience": frozenset({"wie", "doelgroep", "bedoeld", "geschikt", "mag", "kan", "ook", "who", "for"}),
    "join": frozenset({"meedoen", "aanmelden", "inschrijven", "deelnemen", "aanhaken", "hoe", "meld", "join", "aanvragen"}),
}
UNCUED = 0.5
SHARE_QUESTION = re.compile(r"\b(welk|wat voor)\s+(deel|percentage|aandeel)\b|\bprocent\b|%", re.I)
#: A question in parts ('hoeveel ..., en wanneer ...?', 'waar ging het open, wanneer was dat, en met hoeveel
#: bibliotheken begon het?', 'X? En Y?'): each part is asked on its own; when every part has an answer, all are given.
QUESTION_WORDS = r"(?:wie|wat|wanneer|waar|waarom|waardoor|waarmee|waarvoor|hoeveel|hoe|welke?|sinds|tot)"
PART_PREPOSITIONS = r"(?:met|in|op|voor|vanaf|sinds|tot|door|via|over|naar|uit|van|bij|om|aan|onder)"
PARTS = re.compile(rf"(?:,\s*|\s)en\s+(?:{PART_PREPOSITIONS}\s+)?{QUESTION_WORDS}\b"
                   rf"|,\s*(?:{PART_PREPOSITIONS}\s+)?{QUESTION_WORDS}\b(?=\s+\S+\s+\S+)|\?(?=\s*\w)", re.I)
#: At most this many parts are answered: a longer list is a story, not a list of questions.
MAX_PARTS = 3


def parts_of(text: str) -> List[str]:
    """The parts of a question in parts ('en wanneer?' is one too); one part when it is not."""
    cuts = [m.start() for m in PARTS.finditer(text or "")]
    pieces = [text[a:b].strip(" ,?") for a, b in zip([0, *cuts], [*cuts, len(text or "")])]
    pieces = [p for p in pieces if words(p)]
    return pieces if 2 <= len(pieces) <= MAX_PARTS else [text]


#: A message that tells a story and then asks ('mijn buurman zegt dat het IDO alleen voor ouderen is. klopt dat?'):
#: the words of the sentences that ask (end in '?') weigh fully, the others this much.
PREAMBLE_WEIGHT = 0.7
#: The words of an unanswered question that the next turn refines weigh this much of their own weight.
EARLIER_WEIGHT = 0.7
#: '..., en niet (alleen|gewoon) ...', 'in plaats van ...': the rest of the clause names what the subject is set against.
CONTRAST = re.compile(r"(?:,?\s+en\s+niet|,\s*niet|\bin plaats van|\bin plaats daarvan)\s+(?:alleen|gewoon|zomaar|meer)?[^.!?,;]*",
                      re.I)
CONTRAST_WEIGHT = 0.3
SENTENCES = re.compile(r"[^.!?]+[.!?]*")


def asking_sentences(text: str) -> str:
    """The sentences of a message that end in '?', when some others do not (else '': the whole message asks)."""
    sentences = [m.group(0).strip() for m in SENTENCES.finditer(text or "") if words(m.group(0))]
    asking = [x for x in sentences if x.endswith("?")]
    return " ".join(asking) if asking and len(asking) < len(sentences) else ""


#: 'daaraan', 'ermee', 'hiervoor': a word that points back at what was said before. A question with one is
#: a follow-up, however long ('en doen alle bibliotheken daaraan mee?').
POINTS_BACK = re.compile(r"^(daar|er|hier)(aan|achter|bij|door|in|mee|na|naar|om|onder|op|over|tegen|toe|uit|van|voor)$")
#: 'en computers?': a short question that goes on with the same kind of question about something else.
GOES_ON = re.compile(r"^\W*(en|and|ook)\b", re.I)
#: Short questions lean on the conversation: at most this many content terms.
SHORT_TERMS = 4
#: Particles of Dutch separable verbs: 'doen ... mee' is 'meedoen', 'geeft ... op' is 'opgeven'.
PARTICLES = frozenset({"mee", "op", "aan", "in", "uit", "af", "door", "terug", "toe", "bij", "over", "weg", "samen",
                       "voor", "na", "om", "vast", "los", "binnen", "langs", "open"})


CLAUSE_END_PARTICLE = re.compile(r"\b(" + "|".join(sorted(PARTICLES)) + r")\s*(?=[?.!,;:]|$)", re.I)


def verb_forms(word: str) -> List[str]:
    """The infinitives a verb form may have: its lemma, and for the stem the lemma table leaves ('hoe doe ik
    mee', 'meld je aan') the stem with '-en'."""
    base = lemma_of(word)
    return [f for f in dict.fromkeys((base, word + "en", word + "n")) if f.endswith("en")]


def separated_verbs(text: str) -> Iterator[Tuple[str, str, List[str]]]:
    """(word, particle, the terms of the verbs they may join to) for each particle a clause ends with and each
    other word: 'hoe doe ik mee?' gives ('doe', 'mee', ['meedoen'])."""
    for particle in separated_particles(text):
        for word in words(unhyphen(text)):
            if word not in PARTICLES and word not in STOPWORDS:
                yield word, particle, [term(particle + v) for v in verb_forms(word)]


def asking_terms(text: str) -> FrozenSet[str]:
    """The terms of `text` that ask after an attribute: ASKING_TERMS, and the parts of a separated verb that is one
    ('hoe doe ik mee?': 'doe' and 'mee' make 'meedoen')."""
    parts = set()
    for word, particle, joined in separated_verbs(text):
        if any(j in ASKING_TERMS for j in joined):
            parts.update({term(word), term(particle)})
    return ASKING_TERMS | parts


def separated_particles(text: str) -> List[str]:
    """Particles at the end of a clause, where a separable verb leaves them ('doet u ook mee?');
    'op' in 'op de basisschool' is a preposition and does not count."""
    return sorted({m.group(1).lower() for m in CLAUSE_END_PARTICLE.finditer(text or "")})


#: 'een jaar later', 'twee jaar eerder', 'het jaar daarna': a year counted from the previous answer's year.
RELATIVE_YEAR = re.compile(r"\b(?:(een|één|1|twee|2|drie|3)\s+jaar\s+(later|daarna|erna|daarop|eerder|ervoor|daarvoor|vroeger)"
                           r"|het\s+jaar\s+(daarna|erna|daarop|ervoor|daarvoor)|het\s+(volgende|vorige)\s+jaar)\b", re.I)
YEAR_COUNTS = {"een": 1, "één": 1, "1": 1, "twee": 2, "2": 2, "drie": 3, "3": 3}
LATER = {"later", "daarna", "erna", "daarop", "volgende"}


#: 'en daarvoor?' alone, after a figure of a year: the year before.
BARE_STEP = re.compile(r"^\W*(?:en\s+)?(daarvoor|ervoor|daarna|erna)(?:\s+dan)?\W*$", re.I)
#: The handbook's own meaning of 'before corona': "Vóór corona (in 2019) betekende dit:".
PRE_CORONA_YEAR = 2019
PRE_CORONA = re.compile(r"\b(?:vóór|before|pre)[\s-]+(?:de\s+)?corona\b|\bpre-?corona\b", re.I)
#: Without the accent 'voor corona' may mean 'for corona'; after a figure of a year it means before.
PRE_CORONA_LOOSE = re.compile(r"\bvoor\s+(?:de\s+)?corona\b", re.I)


def relative_years(text: str, previous: Optional["Unit"]) -> FrozenSet[int]:
    """The years a question counts from the previous answer ('en een jaar later?' after 2019: 2020;
    'en vóór corona?' after 2023: 2019)."""
    if previous is None or not previous.years:
        return frozenset()
    if PRE_CORONA.search(text or "") or PRE_CORONA_LOOSE.search(text or ""):
        return frozenset({PRE_CORONA_YEAR})
    bare = BARE_STEP.match(text or "")
    if bare:
        step = 1 if bare.group(1).lower() in LATER else -1
        return frozenset(y + step for y in previous.years)
    found = RELATIVE_YEAR.search(text or "")
    if found is None:
        return frozenset()
    count = YEAR_COUNTS.get((found.group(1) or "een").lower(), 1)
    direction = (found.group(2) or found.group(3) or found.group(4) or "").lower()
    step = count if direction in LATER else -count
    return frozenset(y + step for y in previous.years)


YEAR = re.compile(r"\b(?:19|20)\d\d\b")


def without_year_words(text: str, loose: bool = False) -> str:
    """The question without the words that only say a year ('in 2020', 'een jaar eerder', 'vóór corona'):
    the year is its own evidence (W_YEAR), not a word to find a unit by. 'voor corona' without the accent
    only when it was read as a year (`loose`): otherwise it may be 'for corona'."""
    for pattern in (RELATIVE_YEAR, PRE_CORONA, YEAR) + ((PRE_CORONA_LOOSE,) if loose else ()):
        text = pattern.sub(" ", text or "")
    return text


#: 'volgens de handreiking', 'in het handboek', 'volgens jullie': where the asker expects the answer, not what
#: it is about. Left out of the words to match, so they do not pull the facts about the handbook itself.
SOURCE_REFERENCE = re.compile(r"\b(?:volgens|in|uit)\s+(?:de|het|deze|dit|jullie|jouw|uw)\s+"
                              r"(?:handreiking|handboek|document|stuk|rapport|tekst|bron|gegevens)\b|\bvolgens\s+(?:jullie|u|jou)\b", re.I)


def without_source_references(text: str) -> str:
    return SOURCE_REFERENCE.sub(" ", text or "")


def asks_anything(text: str, previous: Optional["Unit"]) -> bool:
    """A part of a question with words of its own, or a year ('en in 2020'); not 'waar was dat'."""
    return bool(terms(without_year_words(text)) or YEAR.search(text) or relative_years(text, previous))


def points_back(text: str) -> bool:
    return any(POINTS_BACK.match(w) for w in words(text))


def is_short(text: str) -> bool:
    """At most SHORT_TERMS content words; a year is no word ('en in 2019?' is as short as 'en dan?')."""
    return len(terms(without_year_words(text))) <= SHORT_TERMS


ASKS = re.compile(rf"\b{QUESTION_WORDS}\b|\b(what|who|when|where|why|how)\b", re.I)


def is_fragment(text: str) -> bool:
    """No question of its own, only words that complete one: 'en vóór corona dan?', 'leden bedoel ik'."""
    return not ASKS.search(text or "")


def follows_up(evidence: "Evidence") -> bool:
    """A question that leans on the conversation: nothing named, and short or pointing back."""
    return not evidence.named and (is_short(evidence.text) or points_back(evidence.text))


#: Words that ask for a count; the next content word says what is counted.
COUNT_WORDS = ("hoeveel", "aantal", "many", "much")
#: 'hoe ver', 'hoe lang', 'hoe vaak': a question for a measure that is no count.
HOW_MUCH = re.compile(r"\b(?:hoe\s+(?:ver|lang|groot|vaak|oud|hoog|duur|veel)|how\s+(?:far|long|big|often|old))\b", re.I)


def measured(text: str) -> FrozenSet[str]:
    """What a count question counts: 'hoeveel bezoekers hadden ...' -> the term of 'bezoekers'."""
    tokens = words(unhyphen(text))
    for i, w in enumerate(tokens):
        if w in COUNT_WORDS:
            for nxt in tokens[i + 1:i + 3]:
                if nxt in ("procent", "kost", "kosten", "betalen", "betaal"):
                    break  # 'hoeveel procent van de scholen' is a share, 'hoeveel kost het' a price: of anything
                if nxt not in STOPWORDS and not is_function_word(nxt) and not nxt.isdigit():
                    return frozenset({term(nxt)})
    return frozenset()


def number_term(value: str) -> str:
    """The index term of a value ('200', '4e+06', '98%'): no word of any text looks like it."""
    return f"#{value}"


def split_compound(word: str, vocabulary: Iterable[str], min_part: int = 4, min_head: int = 4) -> List[str]:
    """'bibliotheekabonnement' -> ['bibliotheek', 'abonnement'] when both parts are known words.

    Dutch writes compounds as one word; a question and the KB often split them differently.
    Tries every split point (with a linking 's' or 'e'), longest head first; returns [] when none fits.
    """
    known = vocabulary if isinstance(vocabulary, (set, frozenset, dict)) else set(vocabulary)
    for cut in range(len(word) - min_part, min_head - 1, -1):
        head, tail = word[:cut], word[cut:]
        for link in ("", "s", "e"):
            if link and not head.endswith(link):
                continue
            stem = head[: len(head) - len(link)] if link else head
            if len(stem) >= min_head and stem in known and tail in known:
                return [stem, tail]
    return []


class Ranker:
    """BM25 over every unit's text, scored together with the NLU and the context."""

    def __init__(self, units: Sequence[Unit], texts: Sequence[str], measures: Sequence[str] = (),
                 phrases: Sequence[Sequence[str]] = (), synonyms: Sequence[Sequence[str]] = (),
                 k1: float = 1.2, b: float = 0.5):
        self.units = list(units)
        self.by_key = {u.key: u for u in self.units}
        self.k1, self.b = k1, b
        raw_docs = [terms(unhyphen(t), limit=INDEX_CHARS) for t in texts]
        # A unit's short phrases (a programme's needs, in a citizen's words) are read whole, however long its text.
        phrase_words = [[terms(unhyphen(p), limit=None) for p in ps] for ps in phrases] or [[] for _ in self.units]
        self.words = {w for doc in raw_docs for w in doc} | {w for ps in phrase_words for p in ps for w in p}
        said = [[frozenset(self._expand(p)) - {""} for p in ps] for ps in phrase_words]
        self.docs: List[Counter] = []
        #: Per unit, the terms it has from its short phrases only: a question that names the unit's record
        #: finds it by the name, and these words then say nothing of which of its units or facts is meant.
        self.said_only: List[FrozenSet[str]] = []
        for doc, sets, u in zip(raw_docs, said, self.units):
            # The numbers a unit states are words of it too, as values: '200ste', 'tweehonderdste' and '200e' meet.
            counts = Counter(self._expand(doc) + [number_term(n) for n in u.numbers])
            # So are its phrases' words: what a citizen says, each once.
            only = frozenset().union(*sets) - set(counts) - ASKING_TERMS
            for t in only:
                counts[t] = SAID_TF  # once: a word said in many needs is no more about the unit for it
            self.docs.append(counts)
            self.said_only.append(only)
        #: Per unit, the terms of what it counts (a figure's subject, unit and keywords).
        self.measures = [frozenset(self._expand(terms(unhyphen(m), limit=None))) for m in measures] or [frozenset()] * len(self.units)
        self.lengths = [sum(d.values()) for d in self.docs]
        self.avg = (sum(self.lengths) / len(self.lengths)) if self.lengths else 1.0
        df: Counter = Counter()
        for d in self.docs:
            df.update(d.keys())
        n = max(1, len(self.docs))
        self.idf = {t: math.log(1 + (n - f + 0.5) / (f + 0.5)) for t, f in df.items()}
        self.max_idf = math.log(1 + (n - 0.5) / 1.5)
        self.vocabulary = sorted(self.idf)
        #: term -> the terms of the words that mean the same (knowledge/data/synonyms.yml)
        self.synonyms: Dict[str, FrozenSet[str]] = {}
        for group in synonyms:
            group_terms = {t for w in group for t in terms(w)}
            for t in group_terms:
                self.synonyms[t] = frozenset(self.synonyms.get(t, frozenset()) | (group_terms - {t}))
        #: Per unit, its short phrases (a programme's needs) as sets of terms, with their idf weight.
        self.phrases: List[List[Tuple[FrozenSet[str], float]]] = [[] for _ in self.units]
        for i, sets in enumerate(said):
            for phrase in sets:
                total = sum(self.idf.get(t, 0.0) for t in phrase)
                if total:
                    self.phrases[i].append((phrase, total))
        self.postings: Dict[str, List[int]] = {}
        for i, d in enumerate(self.docs):
            for t in d:
                self.postings.setdefault(t, []).append(i)

    def _expand(self, doc: List[str]) -> List[str]:
        out = list(doc)
        for w in doc:
            if len(w) >= 9:
                out.extend(split_compound(w, self.words))
        return out

    def query_terms(self, text: str) -> List[Tuple[List[str], float, bool]]:
        """Each content word of the question: the terms that may match it, its weight, and whether all must.

        A word the units use weighs its idf; its synonyms may match for it. A word they do not use is
        looked for as a synonym, as the parts of a compound (all parts needed) or as a near spelling.
        Failing that it weighs little when it is an ordinary Dutch word ('thuis', 'dag') and much when it
        is no known word (a name such as an invented programme, or a language the KB does not speak):
        the KB not knowing it must show in the match.
        """
        out = []
        seen = set()
        tokens = words(unhyphen(text))
        for number in sorted(figures_in(as_digits(text))):
            # 'vijftien bibliotheken', '4 miljoen': the value, found in the units that state it. A small
            # number ('mijn zoontje van 1', 'drie thema's') tells nothing of which fact is meant.
            if not number.endswith("%") and float(number) < 10:
                continue
            t = number_term(number)
            if t in self.idf and t not in seen:
                seen.add(t)
                out.append(([t], self.idf[t], False))
        for _, _, candidates in separated_verbs(text):
            # 'doen alle bibliotheken mee?': the joined verb ('meedoen'), when the units use it.
            joined = next((j for j in candidates if j in self.idf), None)
            if joined and joined not in seen:
                seen.add(joined)
                out.append(([joined], self.idf[joined], False))
        for word in tokens:
            if word in STOPWORDS or POINTS_BACK.match(word):
                continue  # 'daardoor' points at the conversation: it is no word to find a unit by
            t = term(word)
            if t in seen:
                continue
            seen.add(t)
            same = sorted(x for x in self.synonyms.get(t, ()) if x in self.idf)
            if t in self.idf:
                out.append(([t, *same], self.idf[t] * (FUNCTION_WORD_WEIGHT if is_function_word(word) else 1.0), False))
                continue
            if same:
                out.append((same, max(self.idf[x] for x in same), False))
                continue
            parts = split_compound(t, self.idf, min_head=3) if len(t) >= 7 else []
            if parts:
                out.append((parts, max(self.idf[p] for p in parts), True))
                continue
            close = process.extractOne(t, self.vocabulary, scorer=fuzz.ratio, score_cutoff=85) if len(t) >= 5 else None
            if close:
                out.append(([close[0]], self.idf[close[0]], False))
            elif is_function_word(word) or word.isdigit() or is_number_word(word):
                out.append(([t], FUNCTION_WORD_WEIGHT, False))  # a number is its own evidence (`number_term`)
            elif is_word(word):
                out.append(([t], COMMON_WORD_WEIGHT, False))
            else:
                out.append(([t], UNKNOWN_WORD_SHARE * self.max_idf, False))
        return out

    def lexical(self, query: List[Tuple[List[str], float, bool]],
                named: FrozenSet[str] = frozenset()) -> Tuple[Dict[int, float], Dict[int, float]]:
        """(BM25 score, idf-weighted share of the question found) per unit with any match, for `query_terms`.
        The units of a `named` record are found by their own text, not by their short phrases."""
        weights = [w for _, w, _ in query]
        total = sum(weights) or 1.0
        bm25: Dict[int, float] = {}
        found: Dict[int, float] = {}
        for alts, weight, need_all in query:
            best: Dict[int, float] = {}
            parts_found: Counter = Counter()
            for t in alts:
                idf = self.idf.get(t)
                if idf is None:
                    continue
                for i in self.postings[t]:
                    if named and t in self.said_only[i] and self.units[i].about in named:
                        continue
                    tf = self.docs[i][t]
                    norm = self.k1 * (1 - self.b + self.b * self.lengths[i] / self.avg)
                    best[i] = max(best.get(i, 0.0), idf * tf * (self.k1 + 1) / (tf + norm))
                    parts_found[i] += 1
            for i, s in best.items():
                bm25[i] = bm25.get(i, 0.0) + s
                found[i] = found.get(i, 0.0) + weight * (parts_found[i] / len(alts) if need_all else 1.0)
        # Confidence of the words: the share of the question found (a long story has many other words),
        # and the weight found on its own (three telling words are telling, however long the story).
        return bm25, {i: 0.5 * min(1.0, f / total) + 0.5 * min(1.0, f / MASS) for i, f in found.items()}

    def weigh_outside(self, query: List[Tuple[List[str], float, bool]], text: str,
                      weight: float) -> List[Tuple[List[str], float, bool]]:
        """The query with the weight of each term that `text` lacks multiplied by `weight`."""
        kept = {t for alts, _, _ in self.query_terms(text) for t in alts}
        return [(alts, w if kept & set(alts) else w * weight, f) for alts, w, f in query]

    def phrase_match(self, i: int, asked: FrozenSet[str]) -> float:
        """How wholly one of unit i's phrases is in the question: 'ik lees en schrijf slecht' in 'mijn buurman
        kan slecht lezen en schrijven en schaamt zich'. The idf share of the phrase found, times how telling
        the found words are together (PHRASE_MASS); the best phrase counts."""
        best = 0.0
        for phrase, total in self.phrases[i]:
            found = sum(self.idf.get(t, 0.0) for t in phrase & asked)
            if found:
                best = max(best, (found / total) ** 2 * min(1.0, found / PHRASE_MASS))
        return best

    def rank(self, evidence: Evidence, limit: int = 5) -> List[Ranked]:
        previous = self.by_key.get(evidence.previous) if evidence.previous else None
        counted_from = relative_years(evidence.text, previous)
        years = evidence.years or counted_from
        query = self.query_terms(without_source_references(without_year_words(evidence.text, loose=bool(counted_from))))
        asking, contrast = asking_sentences(evidence.text), CONTRAST.search(evidence.text or "")
        if asking:
            # 'ik ben vrijwilliger bij het IDO. ... wie heeft het informatiepunt opgezet?': the story tells the
            # situation, the question what is asked; words of the story alone weigh less.
            query = self.weigh_outside(query, asking, PREAMBLE_WEIGHT)
        if contrast:
            # '..., en niet alleen een telefoonnummer?': what the question sets its subject against is not asked.
            query = self.weigh_outside(query, evidence.text[:contrast.start()] + evidence.text[contrast.end():],
                                       CONTRAST_WEIGHT)
        if evidence.earlier:
            # 'leden van de bibliotheek bedoel ik' after 'hoeveel waren het er in 2019?' got no answer: the words
            # of that question count too, less than this turn's own.
            own = {t for alts, _, _ in query for t in alts}
            query = query + [(alts, w * EARLIER_WEIGHT, f) for alts, w, f in self.query_terms(
                without_source_references(without_year_words(evidence.earlier))) if not own & set(alts)]
        bm25, share = self.lexical(query, evidence.named)
        asked = frozenset(t for alts, _, _ in query for t in alts)
        # A question without a content word ('voor wie is het?') gives no lexical evidence either way.
        # Nor, after an answer, one whose words only ask after an attribute ('hoe doe ik mee?').
        follow_up = follows_up(evidence)
        only_asks = asking_terms(evidence.text) if follow_up else frozenset()
        empty = sum(w for alts, w, _ in query if alts[0] not in only_asks) < EMPTY_QUESTION
        top_bm25 = max(bm25.values(), default=0.0) or 1.0
        short = is_short(evidence.text)
        goes_on = bool(GOES_ON.match(evidence.text or ""))
        measure = measured(evidence.text) or measured(evidence.earlier)
        # What is counted, also as the parts of a compound ('bibliotheekleden': 'leden' counts).
        counted = set(measure)
        for t in measure:
            if t not in self.idf and len(t) >= 7:
                counted.update(split_compound(t, self.idf, min_head=3))
        tokens = set(words(evidence.text)) | set(words(evidence.earlier))
        place = compact(evidence.place or "")
        asks_when = bool(tokens & WHEN_WORDS) or "welk jaar" in evidence.text.lower()
        asks_who = bool(tokens & WHO_WORDS)
        agent_asked = asks_agent(evidence.text)  # 'wie betaalt', not 'voor wie is het'
        asks_why = bool(tokens & WHY_WORDS)  # asks_reason, on the words already read
        cued = {a: bool(tokens & cues) or (a == "dates" and bool(years)) for a, cues in ATTRIBUTE_CUES.items()}
        share_asked = bool(SHARE_QUESTION.search(evidence.text))
        measure_asked = bool(tokens & set(COUNT_WORDS)) or share_asked or bool(HOW_MUCH.search(evidence.text))
        candidates = set(bm25)
        if evidence.named or (follow_up and evidence.context):
            wanted = set(evidence.named) | ({evidence.context} if follow_up and evidence.context else set())
            candidates |= {i for i, u in enumerate(self.units) if u.about in wanted or u.ref in wanted}
        # The conversation's subject counts for as much as the question lacks a subject of its own:
        # fully for 'en voor wie is dat?', little for 'hoeveel e-books' after a question about BoekStart
        # (its words fit another unit much better than any unit of the subject).
        context_weight = W_CONTEXT
        if follow_up and evidence.context and not empty:
            inside, elsewhere = 0.0, 0.0
            for i, found in share.items():
                u = self.units[i]
                if evidence.context in {u.about, u.ref} | evidence.related.get(u.about, frozenset()):
                    inside = max(inside, found)
                else:
                    elsewhere = max(elsewhere, found)
            context_weight = W_CONTEXT * (1.0 - max(0.0, elsewhere - inside))
        scored = []
        for i in candidates:
            u = self.units[i]
            lexical = NEUTRAL_LEXICAL if empty else share.get(i, 0.0) * (0.85 + 0.15 * bm25.get(i, 0.0) / top_bm25)
            score = W_LEXICAL * lexical + (W_PHRASE * self.phrase_match(i, asked) if self.phrases[i] else 0.0)
            attribute_prior = W_INTENT * sum(p * INTENT_ATTRIBUTES.get(name, {}).get(u.attribute, 0.0)
                                             for name, p in evidence.intents.items())
            if u.attribute in ATTRIBUTE_CUES and not cued[u.attribute]:
                attribute_prior *= UNCUED  # the intent says 'dates', but nothing in the words asks when
            record_prior = W_INTENT * sum(p for name, p in evidence.intents.items() if u.about in INTENT_RECORDS.get(name, ()))
            score += attribute_prior + record_prior
            own = {u.about, u.ref} - {""}
            relatives = own.union(*(evidence.related.get(x, frozenset()) for x in own))
            if evidence.named:
                if own & evidence.named:
                    score += W_NAMED + (W_OWN if u.kind in RECORD_KINDS else 0.0)
                elif relatives & evidence.named:
                    score += W_NAMED / 2
                elif u.about and (u.numeric or u.attribute == "amount"):
                    score -= P_OTHER_SUBJECT  # a figure about another subject is no answer to this one
            if (previous is not None and short and (
                    evidence.named and (u.numeric and previous.numeric or u.attribute == previous.attribute)
                    or goes_on and share.get(i) and u.numeric and previous.numeric)):
                score += W_CONTEXT / 2  # 'en digisterker?', 'en computers?' after a figure asks the same kind of thing
            if follow_up and evidence.context and evidence.context in relatives:
                # the subject's own units first, then what belongs to it (BoekStart before the BoekStartcoach)
                score += context_weight if evidence.context in own else RELATIVE_CONTEXT * context_weight
                if evidence.context_attribute == u.attribute:
                    score += context_weight / 3
                if previous is not None and u.key != previous.key and u.label == previous.label:
                    score += context_weight / 2  # the same figure for another year or place
            if place and place in u.places:
                score += W_CONTEXT  # 'en hoeveel betaalde de gemeente daarvoor?' after the desks of Súdwest-Fryslân
            if measure and u.numeric and u.kind in ("statistics", "facts") and not counted & self.measures[i]:
                score -= P_OTHER_SUBJECT  # 'hoeveel bezoekers' is not answered by a count of locations
            if asks_who and (u.attribute in ("amount", "dates") or (u.numeric and u.kind == "statistics")
                             or (u.attribute == "cost" and agent_asked)):
                # 'wie beslist ...' is not answered by an amount or a date, nor 'wie betaalt het IDO?' by its price
                score -= 2 * W_QUESTION_WORD
            if asks_why and u.reason:
                score += 2 * W_QUESTION_WORD  # 'waarom ...' is answered by a sentence that gives a reason
            if asks_when and (u.years or u.attribute == "dates"):
                score += W_QUESTION_WORD
            if measure_asked and u.numeric:
                score += W_QUESTION_WORD
            if share_asked and any(n.endswith("%") for n in u.numbers):
                score += W_QUESTION_WORD
            if years and u.years:
                score += W_YEAR if years & u.years else -W_YEAR
            scored.append(Ranked(u, round(score, 4), round(lexical, 4), round(bm25.get(i, 0.0), 3), round(record_prior, 4)))
        scored.sort(key=lambda r: (-r.score, -r.bm25, r.unit.key))
        return scored[:limit]

    def another_year(self, evidence: Evidence) -> Optional[Decision]:
        """'en in 2020?' after a figure of 2019, with nothing else asked: the same figure for that year when the
        KB has it; when it has not, that figure is all there is (the action says it has no figure for 2020)."""
        previous = self.by_key.get(evidence.previous) if evidence.previous else None
        if previous is None or not previous.numeric or not previous.years or evidence.named:
            return None
        asked = evidence.years or relative_years(evidence.text, previous)
        if not asked or asked & previous.years or terms(without_year_words(evidence.text, loose=True)):
            return None
        same = [u for u in self.units if u.label == previous.label and u.years & asked]
        if same:
            return Decision("answer", tuple(Ranked(u, 1.0, 1.0, 0.0) for u in same[:1]))
        return Decision("unknown", (Ranked(previous, 0.0, 0.0, 0.0),))

    def decide(self, evidence: Evidence, limit: int = 5) -> Decision:
        year_only = self.another_year(evidence)
        if year_only is not None:
            return year_only
        whole = self._decide(evidence, limit)
        pieces = parts_of(evidence.text)
        if len(pieces) < 2:
            return whole
        # 'Hoeveel bezoeken in 2019, en hoeveel leden?': each later part is its own question, in the
        # context of the first (its years, the records it named), as a follow-up leans on the previous answer.
        years = " ".join(str(y) for y in sorted(evidence.years))
        head = self._decide(replace(evidence, text=pieces[0]), limit)
        about = head.best.unit.about if head.best is not None else ""
        # The records named count for the later parts when the first part's answer is about one of them; when it
        # is not ('de regie over de informatiepunten' answered about the IDO), that answer's subject is the context.
        named = evidence.named if about in evidence.named or not about else frozenset()
        parts = [head]
        for piece in pieces[1:]:
            if not asks_anything(piece, head.best.unit if head.best else None):
                continue  # 'waar was dat', 'voor wie is het': nothing new to look for; the first part's answer says it
            parts.append(self._decide(replace(
                evidence, text=f"{piece} {years}".strip(), context=about or evidence.context, named=named,
                context_attribute=head.best.unit.attribute if about else evidence.context_attribute,
                previous=head.best.unit.key if about else evidence.previous), limit))
        if not all(p.move == "answer" for p in parts):
            return whole
        said: List[Ranked] = []
        for p in parts:
            if not any(same_answer(p.best.unit, s.unit) for s in said):
                said.append(p.best)
        if len(said) < 2:
            return whole
        return Decision("answer", (said[0], *whole.ranked), also=tuple(said[1:]))

    def _decide(self, evidence: Evidence, limit: int) -> Decision:
        everything = self.rank(evidence, limit=len(self.units))
        ranked = tuple(everything[:limit])
        if not ranked or (ranked[0].score < CLARIFY_AT and ranked[0].lexical < LEXICAL_CLARIFY_AT):
            return Decision("unknown", ranked)
        best = ranked[0]
        rival = next((r for r in ranked[1:] if not same_subject(r.unit, best.unit)), None)
        strong = best.score >= ANSWER_AT or (best.lexical >= LEXICAL_ANSWER_AT and best.score >= CLARIFY_AT)
        if strong and (rival is None or best.score - rival.score >= MARGIN):
            return Decision("answer", ranked, also=siblings(best, everything))
        if best.score >= ANSWER_AT and rival.score >= ANSWER_AT and related(best.unit, rival.unit):
            # Two strong answers about one thing ('hoeveel bezoeken en hoeveel leden'): give both.
            return Decision("answer", ranked, also=(rival,))
        return Decision("clarify", ranked)


#: A sibling (another part of the answer's source sentence) is said too when this share of the question fits it.
SIBLING_AT = 0.3
MAX_SIBLINGS = 2


def siblings(best: Ranked, ranked: Sequence[Ranked]) -> Tuple[Ranked, ...]:
    """The other units of the answer's source sentence that the question also asks about: 'welke drie opgaven
    staan in het convenant' is answered by the unit about the covenant and by the one that names the three."""
    if not best.unit.sentence:
        return ()
    return tuple(r for r in ranked if r.unit.sentence == best.unit.sentence and r.unit.key != best.unit.key
                 and r.lexical >= SIBLING_AT and not (r.unit.years and best.unit.years and not r.unit.years & best.unit.years)
                 )[:MAX_SIBLINGS]


def related(a: Unit, b: Unit) -> bool:
    """Two units that may be answered together: about the same record, or both figures of one kind."""
    return bool(a.about and a.about == b.about) or (a.kind == b.kind == "statistics" and a.years == b.years)


def same_subject(a: Unit, b: Unit) -> bool:
    """Two units about one record: choosing between them needs no question to the user."""
    return same_answer(a, b) or bool(a.about and a.about == b.about and not (a.numeric and b.numeric))


def same_answer(a: Unit, b: Unit) -> bool:
    """Two units that say the same thing to the user (a figure and the fact that quotes it)."""
    return a.key == b.key or (a.ref == b.ref and a.attribute == b.attribute) or bool(a.numbers & b.numbers)


SCALE = {"duizend": 1e3, "miljoen": 1e6, "miljard": 1e9}


MONTHS = r"(?:januari|februari|maart|april|mei|juni|juli|augustus|september|oktober|november|december)"


def figures_in(text: str, years: bool = False) -> FrozenSet[str]:
    """The figures a text states, as values ('28 duizend' and '28.000' are both '28000'); dates ('1 juli
    2019': a year and a day) left out unless asked for."""
    out = set()
    for found in re.finditer(rf"(\d+(?:[.,]\d+)*)(\s?%)?(?:\s+(duizend|miljoen|miljard|{MONTHS}\b))?", text or "", re.I):
        number, percent, scale = found.groups()
        scale = (scale or "").lower()
        if not years and not percent and (re.fullmatch(r"(19|20)\d\d", number) or re.fullmatch(MONTHS, scale)):
            continue
        try:
            value = float(number.replace(".", "").replace(",", ".")) if re.search(r"\.\d{3}\b", number) or "," in number \
                else float(number)
        except ValueError:  # '127.0.0.1', '1,2,3': no figure
            continue
        value *= SCALE.get(scale, 1.0)
        out.add(f"{value:g}{'%' if percent else ''}")
    return frozenset(out)


# -- units from the records -----------------------------------------------------------------------
def _years(*texts: Optional[str]) -> FrozenSet[int]:
    return frozenset(int(y) for t in texts if t for y in re.findall(r"\b(19\d\d|20\d\d)\b", str(t)))


def _join(*parts) -> str:
    out = []
    for p in parts:
        if isinstance(p, (list, tuple)):
            out.extend(str(x) for x in p if x)
        elif p:
            out.append(str(p))
    return " ".join(out)


def build_units(records: Dict[str, Dict[str, object]], statistics: Sequence, facts: Sequence, passages: Sequence,
                desks: Sequence = ()) -> Tuple[List[Unit], List[str], List[str], List[List[str]]]:
    """Every answer unit of one KB snapshot, with the text it is found by, what it counts (figures) and its
    short phrases (a programme's needs; a fact's example questions are not used: they cost passes at every weight).
    A desk with a note (who opened it, where it moved, what its municipality pays) is a unit of its own."""
    units: List[Unit] = []
    texts: List[str] = []
    measures: List[str] = []
    phrases: List[List[str]] = []

    def add(unit: Unit, *text, measure: str = "", said: Sequence[str] = ()) -> None:
        units.append(unit)
        texts.append(_join(*text))
        measures.append(measure)
        phrases.append([str(x) for x in said if x])

    for p in records.get("programmes", {}).values():
        names = [p.name, p.name, *p.aliases]
        needs = list(getattr(p, "needs", None) or [])
        add(Unit(f"programmes:{p.id}#what", "programmes", p.id, "what", p.id, p.name),
            names, p.summary, p.details, ATTRIBUTE_WORDS["what"], said=needs)
        if p.audience:
            add(Unit(f"programmes:{p.id}#audience", "programmes", p.id, "audience", p.id, f"{p.name}: voor wie?"),
                names, p.audience, ATTRIBUTE_WORDS["audience"], said=needs)
        if p.cost:
            add(Unit(f"programmes:{p.id}#cost", "programmes", p.id, "cost", p.id, f"{p.name}: wat kost het?"),
                names, p.cost, ATTRIBUTE_WORDS["cost"])
        if p.how_to_join:
            add(Unit(f"programmes:{p.id}#join", "programmes", p.id, "join", p.id, f"{p.name}: hoe doe ik mee?"),
                names, p.how_to_join, ATTRIBUTE_WORDS["join"])
    for s in records.get("schemes", {}).values():
        names = [s.name, s.name, *s.aliases]
        add(Unit(f"schemes:{s.id}#what", "schemes", s.id, "what", s.id, s.name),
            names, s.summary, s.purpose, s.details, ATTRIBUTE_WORDS["what"])
        parts = [_join(x.name, x.channel, x.purpose) for x in s.parts]
        # It states the scheme's total and its parts: the fact that quotes the total says the same thing.
        amounts = frozenset(f"{float(v):g}" for v in (s.total_eur, *(x.amount_eur for x in s.parts)) if v)
        add(Unit(f"schemes:{s.id}#amount", "schemes", s.id, "amount", s.id, f"{s.name}: hoeveel geld?", numeric=True,
                 numbers=amounts),
            names, s.channel, parts, ATTRIBUTE_WORDS["amount"])
        if s.runs_until or s.starts or s.decided_on or s.announced_on:
            add(Unit(f"schemes:{s.id}#dates", "schemes", s.id, "dates", s.id, f"{s.name}: wanneer?",
                     _years(s.runs_until, s.starts, s.decided_on, s.announced_on)),
                names, s.runs_until, s.starts, s.announced_in, ATTRIBUTE_WORDS["dates"])
        if s.target_groups:
            add(Unit(f"schemes:{s.id}#audience", "schemes", s.id, "audience", s.id, f"{s.name}: voor wie?"),
                names, s.target_groups, ATTRIBUTE_WORDS["audience"])
        add(Unit(f"schemes:{s.id}#join", "schemes", s.id, "join", s.id, f"{s.name}: hoe doet de bieb mee?"),
            names, s.how_to_join, ATTRIBUTE_WORDS["join"])
    for kind in ("examples", "organisations", "topics"):
        for r in records.get(kind, {}).values():
            attribute = "example" if kind == "examples" else "what"
            add(Unit(f"{kind}:{r.id}#what", kind, r.id, attribute, r.id, r.name, _years(getattr(r, "started", None))),
                [r.name, r.name, *r.aliases], getattr(r, "full_name", None), getattr(r, "title", None),
                getattr(r, "place", None), r.summary, getattr(r, "details", None), getattr(r, "role", None),
                getattr(r, "points", None))
    names_of = {rid: rec.name for kind in records.values() for rid, rec in kind.items()}
    for st in statistics:
        add(Unit(f"statistics:{st.id}", "statistics", st.id, "figure", st.about or "", st.subject[0].upper() + st.subject[1:],
                 _years(str(st.year or ""), st.period, st.as_of), numeric=True, numbers=figures_in(st.phrasing)),
            st.subject, st.subject, st.unit, st.keywords, st.keywords, st.phrasing, st.context, names_of.get(st.about or "", ""),
            st.period, str(st.year or ""), ATTRIBUTE_WORDS["figure"], measure=_join(st.subject, st.unit, st.keywords))
    quotes = Counter(" ".join(f.quote.split()) for f in facts)
    for f in facts:
        # A sentence split over several units would make them all match the same words: then the
        # unit is found by its own answer, keywords and questions only.
        sentence = " ".join(f.quote.split())
        shared = quotes[sentence] > 1
        quote = "" if shared else f.quote
        label = f.answer if len(f.answer) <= 60 else f.answer[:57].rsplit(" ", 1)[0] + "…"
        # A unit of a split sentence has the years of its own part ('29 (2019), 73 (2020)': the unit of 2020).
        years = (shared and _years(f.answer, f.context)) or _years(f.quote)
        add(Unit(f"facts:{f.id}", "facts", f.id, "fact", f.about or "", label, years,
                 numeric=bool(figures_in(f.answer)), numbers=figures_in(f.answer),
                 reason=bool(GIVES_REASON.search(_join(f.answer, f.quote, f.context, f.keywords))),
                 sentence=sentence if shared else ""),
            f.answer, f.answer, quote, f.context, f.keywords, f.keywords, f.questions, f.questions,
            names_of.get(f.about or "", ""), measure=_join(f.answer, f.keywords))
    for d in desks:
        if not d.note:
            continue
        stated = figures_in(d.note)
        add(Unit(f"desks:{d.id}", "desks", str(d.id), "fact", "ido", f"Het IDO in {d.place}", _years(d.opened_on, d.note),
                 numeric=bool(stated), numbers=stated,
                 places=frozenset(compact(x) for x in (d.place, d.municipality, d.geocoded_as) if x)),
            d.place, d.place, d.municipality, d.note)
    for ps in passages:
        # The years its text states: 'hoe ver ... in 2023?' is not answered by a passage about 2019.
        add(Unit(f"passages:{ps.id}", "passages", ps.id, "passage", (ps.refers_to or [""])[0], ps.title, _years(ps.text)),
            ps.title, ps.title, ps.text, ps.keywords)
    return units, texts, measures, phrases
