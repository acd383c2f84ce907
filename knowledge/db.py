"""Where the knowledge base lives: the database URL, and one engine per process, created lazily.

`DATABASE_URL` picks any SQLAlchemy URL; the default is a SQLite file under `var/`. For SQLite the
builder swaps in a whole new file; `Database.session()` notices the swap and reconnects, so a
reader never mixes the old and the new build.
"""
from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Optional

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PATH = ROOT / "var" / "kb.sqlite3"


class KnowledgeBaseMissing(RuntimeError):
    """The database has not been built (or is not reachable): say what to run."""


def database_url(url: Optional[str] = None) -> str:
    return url or os.environ.get("DATABASE_URL") or f"sqlite:///{DEFAULT_PATH}"


def sqlite_path(url: str) -> Optional[Path]:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database)


def make_engine(url: str, read_only: bool = False) -> Engine:
    path = sqlite_path(url)
    if path is not None:
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 5})
        if read_only:
            @event.listens_for(engine, "connect")
            def _query_only(dbapi_connection, _record):  # a reader can never change the KB
                dbapi_connection.execute("PRAGMA query_only = ON")
        return engine
    if read_only:
        # A reader sees one build whole: every SELECT of a snapshot in one REPEATABLE READ transaction, which
        # is also read-only (the server refuses writes), as SQLite's query_only does above.
        return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5,
                             isolation_level="REPEATABLE READ",
                             execution_options={"postgresql_readonly": True} if make_url(url).get_backend_name() == "postgresql" else {})
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5)


class Database:
    """A read-only handle on the KB that follows rebuilds."""

    def __init__(self, url: Optional[str] = None):
        self.url = database_url(url)
        self.path = sqlite_path(self.url)
        self._lock = threading.Lock()
        self._engine: Optional[Engine] = None
        self._factory: Optional[sessionmaker] = None
        self._file_id = None

    def _current_file_id(self):
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            raise KnowledgeBaseMissing(
                f"De kennisbank is niet gevonden ({self.path}). Bouw hem met: make kb"
            ) from None
        return (st.st_ino, st.st_mtime_ns)

    def generation(self):
        """Changes whenever a new build has been swapped in (SQLite), else stays constant."""
        if self.path is not None:
            return self._current_file_id()
        return None

    def session(self) -> Session:
        file_id = self.generation() if self.path is not None else None
        with self._lock:
            if self._engine is None or file_id != self._file_id:
                if self._engine is not None:
                    self._engine.dispose()
                self._engine = make_engine(self.url, read_only=True)
                self._factory = sessionmaker(bind=self._engine, expire_on_commit=False, future=True)
                self._file_id = file_id
            return self._factory()

    def dispose(self) -> None:
        with self._lock:
            if self._engine is not None:
                self._engine.dispose()
            self._engine = None
