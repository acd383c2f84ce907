"""Shared fixtures: one KB built per test session into a temporary folder, never into the working tree."""
from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

ROOT = Path(__file__).resolve().parent.parent
DOCUMENT = ROOT / "knowledge" / "source" / "handreiking-2021.txt"


@pytest.fixture(scope="session")
def empty_local(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("no-local-data")


@pytest.fixture(scope="session")
def kb_path(tmp_path_factory, empty_local) -> Path:
    from knowledge import builder

    path = tmp_path_factory.mktemp("kb") / "kb.sqlite3"
    builder.build(url=f"sqlite:///{path}", local=empty_local)
    return path


@pytest.fixture(scope="session")
def kb(kb_path):
    from knowledge.query import KnowledgeBase

    return KnowledgeBase(f"sqlite:///{kb_path}")


def table_counts(path: Path) -> dict:
    with sqlite3.connect(path) as conn:
        tables = [r[0] for r in conn.execute("select name from sqlite_master where type='table'")]
        return {t: conn.execute(f"select count(*) from {t}").fetchone()[0] for t in tables}


def table_dump(path: Path) -> dict:
    """Every row of every table, except the build time: two builds of the same data compare equal."""
    with sqlite3.connect(path) as conn:
        tables = [r[0] for r in conn.execute("select name from sqlite_master where type='table' order by name")]
        dump = {}
        for t in tables:
            rows = conn.execute(f"select * from {t}").fetchall()
            dump[t] = sorted(tuple(str(v) for v in row) for row in rows if not (t == "meta" and row[0] == "built_at"))
        return dump
