"""The staff page's JSON: KB records as plain dicts, read only through `knowledge.query`.

Nothing here writes to the KB. Every amount, part, date and source of a record is passed on as it is
stored; the page formats it.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional

from knowledge import models
from knowledge.gazetteer import distance_km
from knowledge.query import KnowledgeBase

#: The KB hands out at most this many nearest desks.
NEAREST_LIMIT = 20
MAX_QUERY = 200


def source(record) -> Dict[str, Any]:
    return {
        "section": getattr(record, "source_section", None),
        "url": record.source_url,
        "date": record.source_date,
        "note": getattr(record, "source_note", None),
        "local": bool(record.is_local),
    }


def scheme(s: models.FundingScheme) -> Dict[str, Any]:
    return {
        "id": s.id, "name": s.name, "summary": s.summary, "total_eur": s.total_eur,
        "decided_on": s.decided_on, "decided_by": s.decided_by, "announced_on": s.announced_on,
        "announced_in": s.announced_in, "starts": s.starts, "runs_until": s.runs_until,
        "target_groups": list(s.target_groups or []), "purpose": s.purpose, "channel": s.channel,
        "how_to_join": s.how_to_join, "link": s.link, "details": list(s.details or []),
        "parts": [{"name": p.name, "amount_eur": p.amount_eur, "channel": p.channel, "purpose": p.purpose,
                   "available_from": p.available_from, "note": p.note} for p in s.parts],
        "source": source(s),
    }


def programme(p: models.Programme, kb: KnowledgeBase) -> Dict[str, Any]:
    return {
        "id": p.id, "name": p.name, "kind": p.kind, "summary": p.summary, "audience": p.audience,
        "cost": p.cost, "how_to_join": p.how_to_join, "part_of": kb.name_of(p.part_of) if p.part_of else None,
        "links": list(p.links or []), "source": source(p),
    }


def figure(s: models.Statistic, kb: KnowledgeBase, score: Optional[float] = None) -> Dict[str, Any]:
    return {
        "id": s.id, "subject": s.subject, "value": s.value, "value_max": s.value_max, "unit": s.unit,
        "qualifier": s.qualifier, "year": s.year, "period": s.period, "as_of": s.as_of, "phrasing": s.phrasing,
        "about": kb.name_of(s.about) if s.about else None, "newer_than_document": bool(s.newer_than_document),
        "score": score, "source": source(s),
    }


def desk(d: models.IdoLocation, km: Optional[float] = None) -> Dict[str, Any]:
    return {
        "id": d.id, "name": d.display_name or "(naam niet in de bron)", "place": d.place, "municipality": d.municipality,
        "library": d.library_organisation, "branch": d.branch, "address": d.address, "phone": d.phone,
        "opening_info": d.opening_info, "opened_on": d.opened_on, "status": d.status, "note": d.note,
        "distance_km": km, "source": {"url": d.source_url, "date": d.source_date, "local": bool(d.is_local)},
    }


def schemes(kb: KnowledgeBase) -> Dict[str, Any]:
    return {"schemes": [scheme(s) for s in kb.all("schemes")]}


def programmes(kb: KnowledgeBase) -> Dict[str, Any]:
    return {"programmes": [programme(p, kb) for p in kb.all("programmes")]}


def figures(kb: KnowledgeBase, q: str = "") -> Dict[str, Any]:
    q = q.strip()[:MAX_QUERY]
    if not q:
        return {"query": "", "figures": [figure(s, kb) for s in kb.statistics()]}
    found = kb.search_statistics(q, limit=25)
    return {"query": q, "figures": [figure(f.record, kb, round(f.score, 2)) for f in found]}


def ido(kb: KnowledgeBase, place: str = "") -> Dict[str, Any]:
    """All desks by place name; with a place: the nearest ones by distance, discontinued ones nearby marked."""
    place = place.strip()[:MAX_QUERY]
    every = kb.ido_desks(include_discontinued=True)
    if not place:
        return {"query": "", "place": None, "desks": [desk(d) for d in every]}
    near = kb.nearest_ido(place, limit=NEAREST_LIMIT)
    if not near.known_place:
        named = kb.ido_desks(place, include_discontinued=True)
        return {"query": place, "place": None, "desks": [desk(d) for d in named]}
    rows: List[Dict[str, Any]] = [desk(d, km) for d, km in near.desks]
    farthest = max((km for _, km in near.desks), default=0.0)
    for d in every:
        if d.status == "vervallen" and d.lat is not None:
            km = round(distance_km(near.place.lat, near.place.lon, d.lat, d.lon), 1)
            if km <= farthest:
                rows.append(desk(d, km))
    rows.sort(key=lambda r: (r["distance_km"], r["status"] == "vervallen", r["place"]))
    return {"query": place, "place": near.place.canonical, "municipality": near.place.municipality, "desks": rows}


def info(kb: KnowledgeBase) -> Dict[str, Any]:
    meta = kb.build_info()
    return {"built_at": meta.get("built_at"), "counts": kb.counts()}
