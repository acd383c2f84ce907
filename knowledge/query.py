"""The read API: the one way the actions, the staff page and the command line ask the KB anything.

A `KnowledgeBase` reads one complete build into an immutable snapshot (records by id, the name
index, the gazetteer, retrieval indexes) and answers every query from that snapshot. When a new
build is swapped in, the next query loads a new snapshot; a query in flight keeps the old one, so an
answer never mixes two builds. Every input is cleaned and bounded first; nothing here writes.
"""
from __future__ import annotations

import json
import logging
import os
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Dict, FrozenSet, List, Optional, Sequence, Tuple

import numpy as np
from rapidfuzz import fuzz, process
from sqlalchemy import select

from knowledge import models
from knowledge.db import Database, KnowledgeBaseMissing
from knowledge.gazetteer import GEONAMES_SOURCE, distance_km
from knowledge.ranker import Decision, Evidence, Ranker, build_units
from knowledge.retrieval import Bm25Index, Scored
from knowledge.text import STOPWORDS, clean, compact, normalise, terms

LOG = logging.getLogger(__name__)

#: Below this a name lookup says "not found" rather than guess (rapidfuzz score, 0-100).
NAME_THRESHOLD = 80
#: Places are names of towns: a wrong town is worse than none, so the bar is higher.
PLACE_THRESHOLD = 88
#: How often a non-SQLite KB is asked whether a new build has landed.
REFRESH_SECONDS = float(os.environ.get("KB_REFRESH_SECONDS", "5"))
#: Words after which a lower-case word may be a town ('ik woon in ommen'; so may one after PLACE_NOISE: 'de gemeente veere').
PLACE_PREPOSITIONS = {"in", "bij", "uit", "te", "rond", "rondom", "omgeving", "naar", "van", "near", "from"}
#: Words around a place name that are not part of it.
PLACE_NOISE = {"gemeente", "gem", "plaats", "stad", "dorp", "regio", "omgeving", "buurt", "centrum", "rond", "rondom"}

#: Words in nearly every figure question: they rank, but a match on them alone is no match.
GENERIC_FIGURE_TERMS = frozenset(terms(" ".join([
    "bibliotheek", "bibliotheken", "bieb", "nederland", "aantal", "cijfer", "cijfers", "totaal", "jaar", "procent",
    "vaak", "veel", "groot", "keer", "eigenlijk", "ongeveer", "precies", "nu",
])))

__all__ = ["KnowledgeBase", "Match", "Nearby", "Scored", "KnowledgeBaseMissing"]


@dataclass(frozen=True)
class Match:
    kind: str
    id: str
    name: str
    matched: str
    score: float

    @property
    def confidence(self) -> float:
        return round(self.score / 100, 3)


@dataclass(frozen=True)
class Nearby:
    """Nearest IDO desks to a place. `place` is None when the gazetteer does not know the name."""

    query: str
    place: Optional[models.Place]
    desks: List[Tuple[models.IdoLocation, float]] = field(default_factory=list)

    @property
    def known_place(self) -> bool:
        return self.place is not None


class _Snapshot:
    """Everything of one build, read once, never changed."""

    def __init__(self, session):
        self.meta = {m.key: m.value for m in session.execute(select(models.Meta)).scalars()}
        self.records: Dict[str, Dict[str, object]] = {}
        for kind, model in models.NAMED_MODELS.items():
            self.records[kind] = {r.id: r for r in session.execute(select(model).order_by(model.id)).scalars()}
        self.statistics = list(session.execute(select(models.Statistic).order_by(models.Statistic.id)).scalars())
        self.statistics_by_id = {s.id: s for s in self.statistics}
        self.passages = list(session.execute(select(models.Passage).order_by(models.Passage.id)).scalars())
        self.facts = list(session.execute(select(models.Fact).order_by(models.Fact.id)).scalars())
        self.facts_by_id = {f.id: f for f in self.facts}
        self.synonyms = [list(g.words) for g in session.execute(select(models.SynonymGroup)).scalars()]
        self.desks = list(session.execute(select(models.IdoLocation).order_by(models.IdoLocation.place)).scalars())
        #: Per desk, the names it is found by (place, municipality, geocoded place), compacted once.
        self.desk_keys = {id(d): {compact(d.place), compact(d.municipality or ""), compact(d.geocoded_as or "")} for d in self.desks}
        names = list(session.execute(select(models.Name)).scalars())
        places = list(session.execute(select(models.Place)).scalars())
        session.expunge_all()

        self.names = names
        self.name_norms = [n.norm for n in names]
        self.name_squeezed = [n.norm.replace(" ", "") for n in names]
        self.name_compact = {}
        for n in names:
            self.name_compact.setdefault(n.norm.replace(" ", ""), n)
        self.places_by_norm: Dict[str, List[models.Place]] = {}
        for p in places:
            self.places_by_norm.setdefault(p.norm, []).append(p)
        self.place_main_norms = sorted({p.norm for p in places if not p.is_alias})

        programmes = list(self.records["programmes"].values())
        self.programme_index = Bm25Index(programmes, [
            f"{p.name} {' '.join(p.aliases)} {p.summary} {p.audience or ''} {' '.join(p.details)}" for p in programmes])
        self.statistic_index = Bm25Index(self.statistics, [self._statistic_text(s) for s in self.statistics])
        self.passage_index = Bm25Index(self.passages, [f"{p.title} {p.title} {p.text} {' '.join(p.keywords)}" for p in self.passages])
        self._ranker: Optional[Ranker] = None
        self._ranker_lock = threading.Lock()
        self._related: Optional[Dict[str, FrozenSet[str]]] = None

    @property
    def ranker(self) -> Ranker:
        """The ranking over every answer unit of this build, made on first use."""
        if self._ranker is None:
            with self._ranker_lock:
                if self._ranker is None:
                    self._ranker = Ranker(*build_units(self.records, self.statistics, self.facts, self.passages, self.desks),
                                          synonyms=self.synonyms)
        return self._ranker

    @property
    def related(self) -> Dict[str, FrozenSet[str]]:
        """Record id -> the records it belongs with: a programme's parent and parts, an example's programmes
        and library, an organisation's examples, and records whose text names each other. A question about
        one is often about the other. Made once."""
        if self._related is None:
            self._related = self._relations()
        return self._related

    def _relations(self) -> Dict[str, FrozenSet[str]]:
        out: Dict[str, set] = {}

        def link(a: str, b: str) -> None:
            out.setdefault(a, set()).add(b)
            out.setdefault(b, set()).add(a)

        for p in self.records["programmes"].values():
            if p.part_of:
                link(p.id, p.part_of)
        organisations = {normalise(o.name): o.id for o in self.records["organisations"].values()}
        for e in self.records["examples"].values():
            for programme in e.programmes:
                link(e.id, programme)
            if normalise(e.library) in organisations:
                link(e.id, organisations[normalise(e.library)])
        # A record whose text names another ('belastinghulp' names the Belastingdienst) belongs with it.
        names = [(rid, f" {n} ") for kind in self.records.values() for rid, r in kind.items()
                 for n in {normalise(x) for x in (r.name, *(getattr(r, "aliases", None) or []))} if len(n) >= MENTION_CHARS]
        for kind in self.records.values():
            for rid, r in kind.items():
                text = f" {normalise(_record_text(r))} "
                for other, name in names:
                    if other != rid and name in text:
                        link(rid, other)
        return {k: frozenset(v) for k, v in out.items()}


    def _statistic_text(self, s: models.Statistic) -> str:
        about = self.name_of(s.about) if s.about else ""
        when = " ".join(str(x) for x in (s.year, s.period, s.as_of) if x)
        # Subject and keywords twice: they say what the figure is about; the phrasing adds words around it.
        return " ".join([s.subject, s.subject, s.unit, " ".join(s.keywords), " ".join(s.keywords), s.phrasing, about, when])

    def name_of(self, ref_id: str) -> str:
        for kind in self.records.values():
            if ref_id in kind:
                return kind[ref_id].name
        return ""

    def kind_of(self, ref_id: str) -> Optional[str]:
        for kind, recs in self.records.items():
            if ref_id in recs:
                return kind
        return None


#: A name shorter than this ('KB', 'IDO') says too little to tie two records together.
MENTION_CHARS = 6
#: The fields of a record that describe it (whichever the record has).
DESCRIBING = ("summary", "details", "audience", "purpose", "role", "points", "cost", "how_to_join")


def _record_text(record) -> str:
    out = []
    for attribute in DESCRIBING:
        value = getattr(record, attribute, None)
        if isinstance(value, (list, tuple)):
            out += [str(x) for x in value]
        elif value:
            out.append(str(value))
    return " ".join(out)


class KnowledgeBase:
    def __init__(self, url: Optional[str] = None):
        self.db = Database(url)
        self._snapshot: Optional[_Snapshot] = None
        self._generation = None
        self._checked_at = 0.0
        self._lock = threading.Lock()

    # -- snapshot management -------------------------------------------------------------
    def _snap(self) -> _Snapshot:
        now = time.monotonic()
        snap = self._snapshot
        if snap is not None and self.db.path is None and now - self._checked_at < REFRESH_SECONDS:
            return snap
        generation = self.db.generation() if self.db.path is not None else self._remote_build_id()
        if snap is not None and generation == self._generation:
            self._checked_at = now
            return snap
        with self._lock:
            if self._snapshot is None or generation != self._generation:
                try:
                    with self.db.session() as session:
                        self._snapshot = _Snapshot(session)
                except Exception as exc:
                    if self._snapshot is None:
                        raise
                    # The new build could not be read whole (the database busy or gone for a moment): go on with
                    # the build we have, which is complete, and try again at the next check.
                    LOG.warning("nieuwe kennisbank niet geladen (%s); de vorige blijft in gebruik", exc.__class__.__name__)
                    self._checked_at = now
                    return self._snapshot
                self._generation = generation
            self._checked_at = now
            return self._snapshot

    def _remote_build_id(self):
        try:
            with self.db.session() as session:
                return session.execute(select(models.Meta.value).where(models.Meta.key == "build_id")).scalar()
        except KnowledgeBaseMissing:
            raise
        except Exception as exc:  # database down or not built
            raise KnowledgeBaseMissing(f"De kennisbank is niet bereikbaar: {exc.__class__.__name__}. Bouw of start hem met: make kb") from exc

    def check(self) -> Dict[str, int]:
        """Load the KB now (at start-up) and return its record counts; raises KnowledgeBaseMissing."""
        try:
            return self.counts()
        except KnowledgeBaseMissing:
            raise
        except Exception as exc:
            raise KnowledgeBaseMissing(f"De kennisbank kan niet gelezen worden ({exc.__class__.__name__}). Bouw hem opnieuw met: make kb") from exc

    def counts(self) -> Dict[str, int]:
        return json.loads(self._snap().meta.get("counts", "{}"))

    def build_info(self) -> Dict[str, str]:
        return dict(self._snap().meta)

    # -- records by id -------------------------------------------------------------------
    def record(self, kind: str, ref_id: str):
        return self._snap().records.get(kind, {}).get(ref_id)

    def programme(self, ref_id: str) -> Optional[models.Programme]:
        return self.record("programmes", ref_id)

    def scheme(self, ref_id: str) -> Optional[models.FundingScheme]:
        return self.record("schemes", ref_id)

    def example(self, ref_id: str) -> Optional[models.Example]:
        return self.record("examples", ref_id)

    def organisation(self, ref_id: str) -> Optional[models.Organisation]:
        return self.record("organisations", ref_id)

    def topic(self, ref_id: str) -> Optional[models.Topic]:
        return self.record("topics", ref_id)

    def all(self, kind: str) -> list:
        return list(self._snap().records.get(kind, {}).values())

    def kind_of(self, ref_id: str) -> Optional[str]:
        return self._snap().kind_of(ref_id)

    def name_of(self, ref_id: str) -> str:
        return self._snap().name_of(ref_id)

    def parts_of(self, programme_id: str) -> List[models.Programme]:
        return [p for p in self.all("programmes") if p.part_of == programme_id]

    def statistic(self, ref_id: str) -> Optional[models.Statistic]:
        return self._snap().statistics_by_id.get(ref_id)

    def statistics(self) -> List[models.Statistic]:
        return list(self._snap().statistics)

    def statistics_about(self, ref_id: str, newer: Optional[bool] = None) -> List[models.Statistic]:
        return [s for s in self._snap().statistics if s.about == ref_id and (newer is None or s.newer_than_document == newer)]

    def passages(self) -> List[models.Passage]:
        return list(self._snap().passages)

    def facts(self) -> List[models.Fact]:
        return list(self._snap().facts)

    def fact(self, ref_id: str) -> Optional[models.Fact]:
        return self._snap().facts_by_id.get(ref_id)

    def unit_record(self, kind: str, ref_id: str):
        """The record behind an answer unit, of any kind."""
        if kind == "statistics":
            return self.statistic(ref_id)
        if kind == "facts":
            return self.fact(ref_id)
        if kind == "passages":
            return next((p for p in self._snap().passages if p.id == ref_id), None)
        if kind == "desks":
            return next((d for d in self._snap().desks if str(d.id) == ref_id), None)
        return self.record(kind, ref_id)

    # -- ranking over every answer unit ----------------------------------------------------
    def decide(self, evidence: Evidence, limit: int = 5) -> Decision:
        """Rank every answer unit for one turn and decide: answer, clarify or unknown."""
        snap = self._snap()
        if not evidence.related:
            evidence.related = snap.related
        return snap.ranker.decide(evidence, limit)

    def unit(self, key: str):
        """An answer unit by its key ('facts:fact-x'), or None."""
        return self._snap().ranker.by_key.get(key)

    # -- names ---------------------------------------------------------------------------
    def find(self, text: str, kinds: Optional[Sequence[str]] = None, limit: int = 5) -> List[Match]:
        """Records whose name or alias is closest to `text`, best first, each with its score."""
        snap = self._snap()
        query = normalise(text)
        if not query:
            return []
        squeezed = query.replace(" ", "")
        # Two views of closeness, computed in C over all names at once: letters without spaces
        # ('jeugd pakket', typos) and words in any order ('lezen en schrijven stichting').
        scores = np.maximum(
            process.cdist([squeezed], snap.name_squeezed, scorer=fuzz.ratio)[0],
            process.cdist([query], snap.name_norms, scorer=fuzz.token_sort_ratio)[0],
        )
        best: Dict[Tuple[str, str], Match] = {}
        for i in np.argsort(-scores, kind="stable"):
            n = snap.names[i]
            if kinds is not None and n.kind not in kinds:
                continue
            key = (n.kind, n.ref_id)
            if key not in best:
                if len(best) == limit:
                    break
                best[key] = Match(n.kind, n.ref_id, snap.records[n.kind][n.ref_id].name, n.name, round(float(scores[i]), 1))
        return sorted(best.values(), key=lambda m: (-m.score, m.kind, m.id))[:limit]

    def lookup(self, text: str, kinds: Optional[Sequence[str]] = None, threshold: float = NAME_THRESHOLD) -> Optional[Match]:
        """The one record `text` names, or None when nothing is close enough to be sure."""
        found = self.find(text, kinds, limit=2)
        if not found or found[0].score < threshold:
            return None
        return found[0]

    def mentions(self, text: str, kinds: Optional[Sequence[str]] = None, limit: int = 3) -> List[Match]:
        """Records named somewhere inside a longer sentence ('wat kost walk and talk eigenlijk')."""
        snap = self._snap()
        tokens = normalise(text).split()[:60]
        found: Dict[Tuple[str, str], Match] = {}
        for size in (4, 3, 2, 1):
            for start in range(0, max(0, len(tokens) - size + 1)):
                gram = tokens[start:start + size]
                if size == 1 and (gram[0] in STOPWORDS or len(gram[0]) < 3):
                    continue
                squeezed = "".join(gram)
                hit = snap.name_compact.get(squeezed)
                score = 100.0
                if hit is None and len(squeezed) >= 6:
                    close = process.extractOne(squeezed, list(snap.name_compact), scorer=fuzz.ratio, score_cutoff=88)
                    if close:
                        hit, score = snap.name_compact[close[0]], close[1]
                if hit is not None and (kinds is None or hit.kind in kinds):
                    key = (hit.kind, hit.ref_id)
                    if key not in found or score > found[key].score:
                        found[key] = Match(hit.kind, hit.ref_id, snap.records[hit.kind][hit.ref_id].name, hit.name, round(score, 1))
        return sorted(found.values(), key=lambda m: (-m.score, -len(m.matched), m.id))[:limit]

    # -- figures and passages ------------------------------------------------------------
    def search_statistics(self, question: str, about: Optional[str] = None, limit: int = 3) -> List[Scored[models.Statistic]]:
        """Figures that best answer a free question, with BM25 scores; `about` and a named year count extra."""
        snap = self._snap()
        question = clean(question)
        boost: Dict[int, float] = {}
        years = {int(y) for y in re.findall(r"\b(19\d\d|20\d\d)\b", question)}
        for i, s in enumerate(snap.statistics):
            extra = 0.0
            if about and s.about == about:
                extra += 2.0
            if years and (s.year in years or any(str(y) in (s.period or "") + (s.as_of or "") for y in years)):
                extra += 1.5
            if extra:
                boost[i] = extra
        return snap.statistic_index.search(question, limit=limit, boost=boost, ignore=GENERIC_FIGURE_TERMS)

    def search_programmes(self, question: str, limit: int = 6) -> List[Scored[models.Programme]]:
        """Programmes that fit a free question ('wat is er voor kinderen'), best first."""
        return self._snap().programme_index.search(clean(question), limit=limit)

    def search_passages(self, question: str, limit: int = 3) -> List[Scored[models.Passage]]:
        return self._snap().passage_index.search(clean(question), limit=limit)

    # -- places and IDO desks ------------------------------------------------------------
    def find_place(self, text: str) -> Optional[models.Place]:
        """The Dutch place a name or a short sentence means, or None when the gazetteer does not know it."""
        snap = self._snap()
        raw = clean(text)
        words = [w for w in normalise(raw).split() if w not in PLACE_NOISE]
        if not words:
            return None
        whole = " ".join(words)
        hit = self._best_place(snap.places_by_norm.get(whole)) or self._best_place(snap.places_by_norm.get(whole.replace(" ", "")))
        if hit:
            return hit
        # Inside a sentence: only capitalised words count as a name ('ik woon in Ommen', not 'het best').
        original = re.findall(r"[\w'’-]+", raw)
        if len(original) > 2:
            original = original[1:]  # a capital at the start of a sentence says nothing
        capitalised = {normalise(w) for w in original if w[:1].isupper() or w[:2] in ("'s", "’s")}
        tokens = normalise(raw).split()
        # People type towns in lower case too: a word right after 'in', 'bij', 'uit', ... may be one.
        capitalised |= {t for before, t in zip(tokens, tokens[1:])
                        if (before in PLACE_PREPOSITIONS or before in PLACE_NOISE) and t not in STOPWORDS}
        for size in (3, 2, 1):
            for start in range(0, max(0, len(tokens) - size + 1)):
                gram = tokens[start:start + size]
                if not capitalised.intersection(gram) and len(tokens) > 2:
                    continue
                if size == 1 and (gram[0] in STOPWORDS or gram[0] in PLACE_NOISE):
                    continue
                name = " ".join(gram)
                hit = self._best_place(snap.places_by_norm.get(name))
                if hit:
                    return self._disambiguate(snap, name, tokens) or hit
        # 'de Tilburgse bibliotheek', 'een Leidse school': a town's adjective names the town.
        for token in [t for t in tokens if t in capitalised or len(tokens) <= 2]:
            hit = self._place_of_adjective(snap, token)
            if hit:
                return hit
        if len(words) <= 3 and len(whole) >= 4:
            close = process.extractOne(whole, snap.place_main_norms, scorer=fuzz.ratio, score_cutoff=PLACE_THRESHOLD)
            if close:
                return self._best_place(snap.places_by_norm.get(close[0]))
        return None

    @staticmethod
    def _place_of_adjective(snap: "_Snapshot", word: str) -> Optional[models.Place]:
        """The town an adjective is made of ('tilburgse', 'groningse', 'leidse'): only a town's own name,
        never an alternate one ('engelse' is no 'De Engel')."""
        if not word.endswith("se") or len(word) < 6:
            return None
        stem = word[:-2]
        for name in (stem, stem + "en"):
            hit = KnowledgeBase._best_place([p for p in snap.places_by_norm.get(name, []) if not p.is_alias])
            if hit:
                return hit
        return None

    @staticmethod
    def _disambiguate(snap: "_Snapshot", name: str, tokens: Sequence[str]) -> Optional[models.Place]:
        """'rijswijk (gemeente altena)': of the places called so, the one whose municipality or province
        the sentence names (also 'Rijswijk (NB)'-style names); None when the sentence names neither."""
        said = set(tokens)
        candidates = [p for key, places in snap.places_by_norm.items() if key == name or key.startswith(name + " ")
                      for p in places]
        named = [p for p in candidates
                 if set(normalise(p.municipality or "").split()) & said - {""} or set(normalise(p.province or "").split()) & said - {""}]
        return KnowledgeBase._best_place(named) if named else None

    @staticmethod
    def _best_place(candidates: Optional[List[models.Place]]) -> Optional[models.Place]:
        if not candidates:
            return None
        # Extra places are chosen on purpose, so they win; then main names; then the largest place.
        return sorted(candidates, key=lambda p: (p.source == GEONAMES_SOURCE, p.is_alias, -(p.population or 0)))[0]

    def place_names(self) -> List[str]:
        """Every place the gazetteer knows by its main name (for NLU features)."""
        snap = self._snap()
        return sorted({p.canonical for places in snap.places_by_norm.values() for p in places})

    def ido_desks(self, place: Optional[str] = None, include_discontinued: bool = False) -> List[models.IdoLocation]:
        """Desks, optionally only those in a place or municipality (by name); discontinued ones only on request."""
        snap = self._snap()
        desks = [d for d in snap.desks if include_discontinued or d.status != "vervallen"]
        if place:
            key = compact(place)
            desks = [d for d in desks if key in snap.desk_keys[id(d)]]
        return desks

    def nearest_ido(self, place_text: str, limit: int = 3, include_announced: bool = True) -> Nearby:
        """The nearest desks that can be offered (never a discontinued one), with distance in km."""
        place = self.find_place(place_text)
        if place is None:
            return Nearby(clean(place_text), None, [])
        offered = [d for d in self._snap().desks if d.status == "open" or (include_announced and d.status == "aangekondigd")]
        ranked = sorted(
            ((d, distance_km(place.lat, place.lon, d.lat, d.lon)) for d in offered if d.lat is not None),
            key=lambda item: (round(item[1], 1), item[0].status != "open", item[0].place),
        )
        return Nearby(clean(place_text), place, [(d, round(km, 1)) for d, km in ranked[:max(1, min(limit, 20))]])

    def national_ido_facts(self) -> List[models.Statistic]:
        return [s for s in self._snap().statistics if s.newer_than_document]


_default: Optional[KnowledgeBase] = None
_default_lock = threading.Lock()


def default() -> KnowledgeBase:
    """One KnowledgeBase per process, created on first use (never at import)."""
    global _default
    with _default_lock:
        if _default is None:
            _default = KnowledgeBase()
        return _default
