"""`make bench-kb`: p50/p95 time of each KB query kind, next to a bare indexed SQLite select in the same run.

Queries are drawn from the KB itself (names, aliases with a typo, figure keywords, place names),
so the benchmark grows with the data. Timings are printed, never asserted: machines are noisy.
"""
from __future__ import annotations

import random
import sqlite3
import statistics
import sys
import time
from typing import Callable, Dict, List

from knowledge.db import database_url, sqlite_path
from knowledge.query import KnowledgeBase

QUERIES_PER_KIND = 300


def _typo(rng: random.Random, word: str) -> str:
    if len(word) < 5:
        return word
    i = rng.randrange(1, len(word) - 1)
    return word[:i] + word[i + 1] + word[i] + word[i + 2:]


def _percentiles(samples: List[float]) -> Dict[str, float]:
    ordered = sorted(samples)
    pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))]  # noqa: E731
    return {"p50": pick(0.50) * 1000, "p95": pick(0.95) * 1000, "max": ordered[-1] * 1000, "mean": statistics.mean(ordered) * 1000}


def _time(fn: Callable[[str], object], inputs: List[str]) -> Dict[str, float]:
    samples = []
    for text in inputs:
        start = time.perf_counter()
        fn(text)
        samples.append(time.perf_counter() - start)
    return _percentiles(samples)


def main() -> int:
    rng = random.Random(2021)
    kb = KnowledgeBase()
    start = time.perf_counter()
    counts = kb.check()
    load_ms = (time.perf_counter() - start) * 1000

    names = [a for kind in ("programmes", "schemes", "organisations", "examples", "topics") for r in kb.all(kind) for a in [r.name, *r.aliases]]
    figure_questions = [f"hoeveel {rng.choice(s.keywords or [s.subject])} {rng.choice(['', 'in 2019', 'zijn er', 'bieb'])}" for s in kb.statistics()]
    passage_questions = [" ".join(rng.sample(p.keywords, min(3, len(p.keywords)))) for p in kb.passages() if p.keywords]
    places = sorted({d.place for d in kb.ido_desks()}) + ["Ommen", "Marum", "Sleeuwijk", "Kaatsheuvel", "Assen", "Zwolle", "Atlantis"]

    def sample(pool: List[str]) -> List[str]:
        return [rng.choice(pool) for _ in range(QUERIES_PER_KIND)]

    rows = {
        "lookup (naam/alias)": _time(kb.lookup, sample(names)),
        "lookup (met typefout)": _time(kb.lookup, [_typo(rng, n) for n in sample(names)]),
        "mentions (in zin)": _time(kb.mentions, [f"wat weet je over {n} eigenlijk" for n in sample(names)]),
        "cijfer (vrije vraag)": _time(kb.search_statistics, sample(figure_questions)),
        "passage (vrije vraag)": _time(kb.search_passages, sample(passage_questions)),
        "dichtstbijzijnde IDO": _time(lambda p: kb.nearest_ido(p, limit=3), sample(places)),
    }

    path = sqlite_path(database_url())
    if path is not None:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        ids = [r[0] for r in conn.execute("select id from programmes")]
        norms = [r[0] for r in conn.execute("select norm from names")]
        rows["kale SQLite-select (PK)"] = _time(lambda i: conn.execute("select * from programmes where id = ?", (i,)).fetchall(), sample(ids))
        rows["kale SQLite-select (index)"] = _time(lambda n: conn.execute("select * from names where norm = ?", (n,)).fetchall(), sample(norms))
        conn.close()

    print(f"KB: {database_url()}  records: {sum(v for k, v in counts.items() if k != 'gazetteer_places')}, "
          f"plaatsen: {counts.get('gazetteer_places')}  eerste laadtijd: {load_ms:.0f} ms")
    print(f"{QUERIES_PER_KIND} vragen per soort, één proces, één kern\n")
    print(f"{'soort':30} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    for name, r in rows.items():
        print(f"{name:30} {r['p50']:8.3f} {r['p95']:8.3f} {r['max']:8.3f}")
    worst = max(r["p95"] for n, r in rows.items() if not n.startswith("kale"))
    print(f"\ntraagste p95 van een KB-vraag: {worst:.3f} ms (doel: onder 5 ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
