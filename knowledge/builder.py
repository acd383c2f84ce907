"""The builder: validated data files -> a complete database, swapped in whole or not at all.

Order of work: read and validate every file (nothing touched yet), build the gazetteer and geocode
the IDO desks, write a complete new database aside, then swap. SQLite builds a new file and renames
it over the old one; other databases replace all rows in one transaction (DELETE and INSERT, which never
lock a reader out; the tables are dropped and made again only when their columns changed). A build whose data has
not changed is skipped, so `make` can call it every time.
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional

from sqlalchemy import inspect, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from knowledge import gazetteer, loader, models, schema
from knowledge.db import ROOT, database_url, make_engine, sqlite_path
from knowledge.text import normalise

CORE_DIR = ROOT / "knowledge" / "data"
DEFAULT_LOCAL_DIR = ROOT / "knowledge" / "local"
SCHEMA_VERSION = "1"


def local_dir() -> Path:
    return Path(os.environ.get("KB_LOCAL_DIR") or DEFAULT_LOCAL_DIR)


@dataclass
class BuildReport:
    url: str
    build_id: str
    counts: Dict[str, int]
    skipped: bool = False
    replaced: List[str] = field(default_factory=list)
    ungeocoded: List[str] = field(default_factory=list)
    seconds: float = 0.0

    def lines(self) -> List[str]:
        out = [f"kennisbank: {self.url}"]
        if self.skipped:
            out.append("ongewijzigd: de gegevens zijn hetzelfde als bij de vorige bouw")
        out.append("records: " + ", ".join(f"{k}={v}" for k, v in sorted(self.counts.items())))
        if self.replaced:
            out.append("lokaal vervangen: " + ", ".join(self.replaced))
        if self.ungeocoded:
            out.append("IDO zonder coördinaten (niet op afstand te vinden): " + ", ".join(self.ungeocoded))
        if not self.skipped:
            out.append(f"klaar in {self.seconds:.1f} s")
        return out


def _data_fingerprint(*folders: Optional[Path]) -> str:
    """Same data files and same builder code give the same id, so an unchanged build can be skipped."""
    digest = hashlib.sha256(SCHEMA_VERSION.encode())
    for module in (schema, models, gazetteer, loader):
        digest.update(Path(module.__file__).read_bytes())
    digest.update(Path(__file__).read_bytes())
    for folder in folders:
        if folder is None or not folder.is_dir():
            continue
        for path in sorted(folder.iterdir()):
            if path.is_file() and not path.name.startswith((".", "_")):
                digest.update(path.name.encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _source_columns(source: schema.Source, is_local: bool) -> dict:
    return dict(source_section=source.section, source_url=source.url, source_date=source.date,
                source_note=source.note, is_local=is_local)


def _rows(data: loader.Dataset, place_rows: List[gazetteer.PlaceRow]):
    """Every ORM object of a build, in insertion order."""
    objects = []
    names = []

    def add_names(kind: str, rec) -> None:
        seen = set()
        for i, label in enumerate([rec.name, *rec.aliases, *([rec.full_name] if getattr(rec, "full_name", None) else [])]):
            norm = normalise(label)
            if norm and norm not in seen:
                seen.add(norm)
                names.append(models.Name(kind=kind, ref_id=rec.id, name=label, norm=norm, is_primary=i == 0))

    for rec, _, local in data.records.get("programmes", []):
        fields = rec.dict(exclude={"source"})
        fields["links"] = [str(link) for link in rec.links]
        fields["cost_source"] = rec.cost_source.dict() if rec.cost_source else None
        if fields["cost_source"] and fields["cost_source"]["url"]:
            fields["cost_source"]["url"] = str(fields["cost_source"]["url"])
        objects.append(models.Programme(**fields, **_source_columns(rec.source, local)))
        add_names("programmes", rec)
    for rec, _, local in data.records.get("schemes", []):
        fields = rec.dict(exclude={"source", "parts"})
        fields["link"] = str(rec.link) if rec.link else None
        objects.append(models.FundingScheme(**fields, **_source_columns(rec.source, local)))
        for pos, part in enumerate(rec.parts):
            objects.append(models.SchemePart(scheme_id=rec.id, position=pos, **part.dict()))
        add_names("schemes", rec)
    for rec, _, local in data.records.get("statistics", []):
        objects.append(models.Statistic(**rec.dict(exclude={"source"}), **_source_columns(rec.source, local)))
    for rec, _, local in data.records.get("examples", []):
        objects.append(models.Example(**rec.dict(exclude={"source"}), **_source_columns(rec.source, local)))
        add_names("examples", rec)
    for rec, _, local in data.records.get("organisations", []):
        fields = rec.dict(exclude={"source"})
        fields["link"] = str(rec.link) if rec.link else None
        objects.append(models.Organisation(**fields, **_source_columns(rec.source, local)))
        add_names("organisations", rec)
    for rec, _, local in data.records.get("topics", []):
        objects.append(models.Topic(**rec.dict(exclude={"source"}), **_source_columns(rec.source, local)))
        add_names("topics", rec)
    for rec, _, local in data.records.get("passages", []):
        objects.append(models.Passage(**rec.dict(), is_local=local,
                                      source_section=rec.section))
    for rec, _, local in data.records.get("facts", []):
        source = rec.source or schema.Source(section=rec.section)
        columns = _source_columns(source, local)
        columns["source_section"] = rec.section or source.section
        columns["source_url"] = str(source.url) if source.url else None
        objects.append(models.Fact(**rec.dict(exclude={"source", "section"}), **columns))
    for rec, _, local in data.records.get("synonyms", []):
        objects.append(models.SynonymGroup(words=list(rec.words), is_local=local))
    for row in place_rows:
        objects.append(models.Place(name=row.name, norm=row.norm, canonical=row.canonical, municipality=row.municipality,
                                    province=row.province, lat=row.lat, lon=row.lon, population=row.population,
                                    source=row.source, is_alias=row.is_alias))
    return objects + names


def _geocode(data: loader.Dataset, place_rows: List[gazetteer.PlaceRow]):
    index: Dict[str, List[gazetteer.PlaceRow]] = {}
    for row in place_rows:
        index.setdefault(row.norm, []).append(row)
    objects, missing = [], []
    for rec, file, line, local in data.ido_locations:
        hit = None
        for name in (rec.gazetteer_place, rec.place, rec.municipality):
            if name:
                hit = gazetteer.resolve_exact(index, name)
                if hit:
                    break
        if hit is None:
            missing.append(rec.place)
        fields = rec.dict(exclude={"gazetteer_place"})
        fields["source_url"] = str(rec.source_url) if rec.source_url else None
        objects.append(models.IdoLocation(
            **fields, lat=hit.lat if hit else None, lon=hit.lon if hit else None,
            geocoded_as=hit.canonical if hit else None, is_local=local,
            data_file=os.path.relpath(file, ROOT) if file.startswith(str(ROOT)) else file, data_line=line))
    return objects, missing


def _write(conn: Connection, objects, meta: Dict[str, str]) -> None:
    with Session(bind=conn, future=True) as session:
        session.add_all(objects)
        session.add_all(models.Meta(key=k, value=v) for k, v in meta.items())
        session.flush()  # the caller's transaction commits, so the whole build lands at once


def _tables_match(conn: Connection) -> bool:
    """True when every table of the models exists with exactly the models' columns."""
    found = inspect(conn)
    names = set(found.get_table_names())
    for table in models.Base.metadata.sorted_tables:
        if table.name not in names or {c["name"] for c in found.get_columns(table.name)} != set(table.columns.keys()):
            return False
    return True


def _empty_tables(conn: Connection) -> None:
    """Make the tables empty inside the build's transaction. DELETE takes row locks only, so readers of the old
    build go on undisturbed (DROP TABLE would take an exclusive lock and deadlock with a reader that already
    holds a lock on another table of the same build). Only when the models' columns changed are the tables
    dropped and made anew."""
    if _tables_match(conn):
        for table in reversed(models.Base.metadata.sorted_tables):
            conn.execute(table.delete())
    else:
        models.Base.metadata.drop_all(conn)
        models.Base.metadata.create_all(conn)


def _existing_build_id(url: str) -> Optional[str]:
    path = sqlite_path(url)
    if path is not None and not path.exists():
        return None
    engine = make_engine(url)
    try:
        with Session(bind=engine, future=True) as session:
            row = session.execute(select(models.Meta.value).where(models.Meta.key == "build_id")).scalar()
            return row
    except Exception:
        return None
    finally:
        engine.dispose()


def build(url: Optional[str] = None, core: Path = CORE_DIR, local: Optional[Path] = None, force: bool = False,
          geonames: bool = True) -> BuildReport:
    """Validate, then build the KB at `url`. Raises loader.DataFileError and leaves the old KB as it was."""
    started = time.perf_counter()
    url = database_url(url)
    local = local if local is not None else local_dir()
    data = loader.load(core, local)  # raises before anything is touched

    build_id = _data_fingerprint(core, local) + ("" if geonames else "-nogeo")
    counts = data.counts()
    if not force and _existing_build_id(url) == build_id:
        return BuildReport(url, build_id, counts, skipped=True)

    place_rows = list(gazetteer.geonames_rows() if geonames else ()) + gazetteer.extra_rows(data.of("places"))
    ido_objects, missing = _geocode(data, place_rows)
    objects = _rows(data, place_rows) + ido_objects
    counts["gazetteer_places"] = sum(1 for r in place_rows if not r.is_alias)
    meta = {"build_id": build_id, "built_at": time.strftime("%Y-%m-%dT%H:%M:%S"), "counts": json.dumps(counts),
            "schema_version": SCHEMA_VERSION}

    path = sqlite_path(url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".building", dir=path.parent)
        os.close(fd)
        try:
            engine = make_engine(f"sqlite:///{tmp}")
            with engine.begin() as conn:
                models.Base.metadata.create_all(conn)
                _write(conn, objects, meta)
            engine.dispose()
            os.replace(tmp, path)  # atomic: readers see the old file or the new one
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    else:
        engine = make_engine(url)
        try:
            with engine.begin() as conn:  # one transaction: readers see the old rows until commit
                _empty_tables(conn)
                _write(conn, objects, meta)
        finally:
            engine.dispose()
    return BuildReport(url, build_id, counts, replaced=data.replaced, ungeocoded=missing,
                       seconds=time.perf_counter() - started)
