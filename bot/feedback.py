"""Feedback from the widget (👍/👎 per answer) and questions the bot could not answer, for the staff page.

A small database of its own (SQLAlchemy; `FEEDBACK_DATABASE_URL`, default `var/feedback.sqlite3`),
apart from the KB, which stays read-only. Everything is masked (bot/privacy.py) and cut to
1000 characters before it is stored.
"""
from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from typing import List, Optional

from sqlalchemy import Column, DateTime, Integer, String, Text, create_engine, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, declarative_base

from bot.privacy import mask
from knowledge.db import ROOT

MAX_CHARS = 1000
RATINGS = ("up", "down")
DEFAULT_URL = f"sqlite:///{ROOT / 'var' / 'feedback.sqlite3'}"

Base = declarative_base()


class Rating(Base):
    __tablename__ = "ratings"
    id = Column(Integer, primary_key=True)
    created_at = Column(DateTime, nullable=False, index=True)
    question = Column(Text, nullable=False)
    answer = Column(Text, nullable=False)
    rating = Column(String(4), nullable=False, index=True)


class FallbackQuestion(Base):
    __tablename__ = "fallback_questions"
    id = Column(Integer, primary_key=True)
    created_at = Column(DateTime, nullable=False, index=True)
    question = Column(Text, nullable=False)


@dataclass(frozen=True)
class Entry:
    created_at: str
    question: str
    answer: str = ""
    rating: str = ""


def clean(text: Optional[str]) -> str:
    """Masked, without control characters, at most MAX_CHARS long."""
    text = "".join(ch for ch in str(text or "") if ch.isprintable() or ch in "\n\t")
    return mask(text.strip())[:MAX_CHARS]


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)


class FeedbackStore:
    def __init__(self, url: Optional[str] = None):
        self.url = url or os.environ.get("FEEDBACK_DATABASE_URL") or DEFAULT_URL
        parsed = make_url(self.url)
        args = {}
        if parsed.get_backend_name() == "sqlite":
            # The web server and the action server both write: wait for the lock instead of failing.
            args = {"timeout": 10}
            if parsed.database and parsed.database != ":memory:":
                os.makedirs(os.path.dirname(os.path.abspath(parsed.database)), exist_ok=True)
        self.engine = create_engine(self.url, future=True, connect_args=args)
        Base.metadata.create_all(self.engine)

    def record(self, question: str, answer: str, rating: str) -> None:
        if rating not in RATINGS:
            raise ValueError(f"rating must be one of {RATINGS}, not {rating!r}")
        with Session(self.engine) as session, session.begin():
            session.add(Rating(created_at=_now(), question=clean(question), answer=clean(answer), rating=rating))

    def record_fallback(self, question: str) -> None:
        """A question the bot could not answer (called from the fallback action)."""
        text = clean(question)
        if not text:
            return
        with Session(self.engine) as session, session.begin():
            session.add(FallbackQuestion(created_at=_now(), question=text))

    def recent_down(self, limit: int = 50) -> List[Entry]:
        query = select(Rating).where(Rating.rating == "down").order_by(Rating.created_at.desc(), Rating.id.desc())
        with Session(self.engine) as session:
            rows = session.execute(query.limit(_bounded(limit))).scalars()
            return [Entry(r.created_at.isoformat(sep=" "), r.question, r.answer, r.rating) for r in rows]

    def recent_fallbacks(self, limit: int = 50) -> List[Entry]:
        query = select(FallbackQuestion).order_by(FallbackQuestion.created_at.desc(), FallbackQuestion.id.desc())
        with Session(self.engine) as session:
            rows = session.execute(query.limit(_bounded(limit))).scalars()
            return [Entry(r.created_at.isoformat(sep=" "), r.question) for r in rows]


def _bounded(limit: int) -> int:
    return max(1, min(int(limit), 500))
