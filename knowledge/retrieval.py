"""Ranked retrieval over short Dutch texts (figures, passages): BM25 on lemma+stem terms.

Query words the index does not know are mapped to the closest indexed term when they are close
enough (rapidfuzz), so 'bibliotheeklokaties' still finds 'bibliotheeklocaties'.
"""
from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from typing import Dict, Generic, List, Optional, Sequence, TypeVar

from rapidfuzz import fuzz, process

from knowledge.text import terms

T = TypeVar("T")

#: How close an unknown query term must be to an indexed term to stand in for it.
TERM_MATCH_CUTOFF = 85
MIN_FUZZY_TERM_LENGTH = 5


@dataclass(frozen=True)
class Scored(Generic[T]):
    record: T
    score: float
    #: Share of the question's (known and unknown) terms that this record contains: low means a weak match.
    coverage: float = 1.0


class Bm25Index(Generic[T]):
    def __init__(self, records: Sequence[T], texts: Sequence[str], k1: float = 1.2, b: float = 0.6):
        self.records = list(records)
        self.k1, self.b = k1, b
        self.docs: List[Counter] = [Counter(terms(text)) for text in texts]
        self.lengths = [sum(doc.values()) for doc in self.docs]
        self.avg_length = (sum(self.lengths) / len(self.lengths)) if self.lengths else 0.0
        df: Counter = Counter()
        for doc in self.docs:
            df.update(doc.keys())
        n = len(self.docs)
        self.idf: Dict[str, float] = {t: math.log(1 + (n - f + 0.5) / (f + 0.5)) for t, f in df.items()}
        self.vocabulary = list(self.idf)
        self._postings: Dict[str, List[int]] = {}
        for i, doc in enumerate(self.docs):
            for t in doc:
                self._postings.setdefault(t, []).append(i)

    def query_terms(self, text: str) -> List[str]:
        out = []
        for t in terms(text):
            if t in self.idf:
                out.append(t)
            elif len(t) >= MIN_FUZZY_TERM_LENGTH and self.vocabulary:
                hit = process.extractOne(t, self.vocabulary, scorer=fuzz.ratio, score_cutoff=TERM_MATCH_CUTOFF)
                if hit:
                    out.append(hit[0])
        return out

    def scores(self, text: str) -> Dict[int, float]:
        return self._scores(set(self.query_terms(text)))

    def _scores(self, query: set) -> Dict[int, float]:
        result: Dict[int, float] = {}
        for t in query:
            idf = self.idf[t]
            for i in self._postings.get(t, []):
                tf = self.docs[i][t]
                norm = self.k1 * (1 - self.b + self.b * self.lengths[i] / (self.avg_length or 1))
                result[i] = result.get(i, 0.0) + idf * tf * (self.k1 + 1) / (tf + norm)
        return result

    def search(self, text: str, limit: int = 5, boost: Optional[Dict[int, float]] = None,
               ignore: frozenset = frozenset()) -> List[Scored[T]]:
        """Best records first. Terms in `ignore` still score but do not count for coverage."""
        asked = [t for t in terms(text) if t not in ignore]
        query = set(self.query_terms(text))
        scores = self._scores(query)
        for i, extra in (boost or {}).items():
            if i in scores:
                scores[i] += extra
        ranked = sorted(scores.items(), key=lambda item: (-item[1], item[0]))[:limit]
        out = []
        for i, score in ranked:
            found = sum(1 for t in asked if t in self.docs[i] or self._close_in(t, i))
            out.append(Scored(self.records[i], round(score, 3), round(found / len(asked), 3) if asked else 0.0))
        return out

    def _close_in(self, term: str, i: int) -> bool:
        if len(term) < MIN_FUZZY_TERM_LENGTH or term in self.idf:
            return False
        hit = process.extractOne(term, list(self.docs[i]), scorer=fuzz.ratio, score_cutoff=TERM_MATCH_CUTOFF)
        return hit is not None
