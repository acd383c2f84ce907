"""The builder: validation with file/record/field, build-aside-then-swap, idempotence, local additions."""
from __future__ import annotations

import hashlib
import shutil
import textwrap
from pathlib import Path

import pytest

from knowledge import builder, loader
from knowledge.query import KnowledgeBase
from tests.conftest import table_counts, table_dump


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_every_kind_is_built(kb_path):
    counts = table_counts(kb_path)
    assert counts["programmes"] >= 21
    assert counts["schemes"] == 3
    assert counts["examples"] == 3
    assert counts["organisations"] >= 10
    assert counts["topics"] >= 8
    assert counts["statistics"] >= 55
    assert counts["passages"] >= 12
    assert counts["ido_locations"] == 62
    assert counts["scheme_parts"] >= 2
    assert counts["places"] > 1900  # GeoNames (about 1,970 Dutch places) plus extra places


def test_rebuild_is_idempotent(tmp_path, empty_local):
    url = f"sqlite:///{tmp_path / 'kb.sqlite3'}"
    first = builder.build(url=url, local=empty_local)
    dump = table_dump(tmp_path / "kb.sqlite3")
    again = builder.build(url=url, local=empty_local)
    assert again.skipped and again.build_id == first.build_id
    forced = builder.build(url=url, local=empty_local, force=True)
    assert not forced.skipped
    assert table_dump(tmp_path / "kb.sqlite3") == dump


def test_database_url_from_environment(tmp_path, empty_local, monkeypatch):
    target = tmp_path / "elsewhere.sqlite3"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{target}")
    builder.build(local=empty_local)
    assert target.exists()
    assert KnowledgeBase().programme("boekstart") is not None


def _write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


LOCAL_EXAMPLE = """
    examples:
      - id: voorbeeld-zuidhoek-leesclub
        name: Leesclub Zuidhoek
        title: Leesclub voor nieuwkomers in Zuidhoek
        library: Bibliotheek Zuidhoek
        place: Drachten
        started: "2023-09"
        summary: Elke week lezen nieuwkomers samen een makkelijk boek. Een vrijwilliger helpt.
        aliases: [leesclub, leesclub zuidhoek]
        source: {url: "https://example.org/leesclub", date: "2023-09-01"}
"""

LOCAL_IDO = """
    place,municipality,library_organisation,branch,address,opening_info,opened_on,source_url,source_date,status,note
    Drachten,Smallingerland,,Bibliotheek Drachten,Raadhuisplein,"di en do 10.00-12.00, zonder afspraak",2020-12-10,,2025-01-15,open,eigen gegevens bibliotheek
    Ommen,Ommen,Bibliotheek Ommen,Bibliotheek Ommen,Markt,wo 14.00-16.00,,,2025-02-01,open,eigen gegevens bibliotheek
    Nergenshuizen,Nergens,Bibliotheek Nergens,,,,,,2025-02-01,open,eigen gegevens; plaats staat in places_local.csv
"""

LOCAL_PLACES = """
    name,municipality,province,lat,lon,source,aliases
    Nergenshuizen,Nergens,Drenthe,52.9,6.6,eigen invoer bibliotheek,Nergens
"""


def test_local_additions_need_no_code(tmp_path):
    local = tmp_path / "local"
    _write(local, "mijn_voorbeelden.yml", LOCAL_EXAMPLE)
    _write(local, "ido_mijn_bibliotheek.csv", LOCAL_IDO)
    _write(local, "places_local.csv", LOCAL_PLACES)
    url = f"sqlite:///{tmp_path / 'kb.sqlite3'}"
    report = builder.build(url=url, local=local, geonames=True)
    assert "ido:Drachten" in report.replaced
    kb = KnowledgeBase(url)

    example = kb.example("voorbeeld-zuidhoek-leesclub")
    assert example is not None and example.is_local
    assert kb.lookup("leesclub").id == "voorbeeld-zuidhoek-leesclub"

    drachten = kb.ido_desks("Drachten")
    assert len(drachten) == 1 and drachten[0].is_local
    assert "10.00-12.00" in drachten[0].opening_info  # the library's own hours replace the national row

    near = kb.nearest_ido("Ommen", limit=1)
    assert near.desks[0][0].place == "Ommen" and near.desks[0][1] == 0.0

    near = kb.nearest_ido("Nergenshuizen", limit=1)
    assert near.known_place and near.desks[0][0].place == "Nergenshuizen"


@pytest.mark.parametrize(
    "name, text, expected",
    [
        ("kapot.yml", "programmes:\n  - id: Fout Id\n    name: x\n", ["programmes[0] (Fout Id)", "veld 'id'"]),
        ("kapot.yml", "statistics:\n  - id: cijfer\n    subject: iets\n    value: veel\n    unit: x\n    phrasing: x\n    source: {section: x}\n",
         ["statistics[0] (cijfer)", "veld 'value'"]),
        ("kapot.yml", "programmes: [\n", ["geen geldige YAML"]),
        ("kapot.yml", "recepten:\n  - id: soep\n", ["veld 'recepten'", "onbekende soort"]),
        ("ido_kapot.csv", "place,status,source_url\nAssen,misschien,https://example.org\n", ["regel 2", "veld 'status'"]),
        ("ido_kapot.csv", "plaats,status\nAssen,open\n", ["regel 1", "onbekende kolom"]),
        ("places_kapot.csv", "name,lat,lon,source\nParijs,48.85,2.35,eigen\n", ["regel 2", "veld 'lat'", "niet in Nederland"]),
        ("kapot.yml", "statistics:\n  - id: cijfer\n    subject: iets\n    about: bestaat-niet\n    value: 1\n    unit: x\n    phrasing: x\n    source: {section: x}\n",
         ["veld 'about'", "bestaat-niet"]),
        ("kapot.docx", "binary", ["onbekend bestandstype"]),
        ("dubbel.yml", "examples:\n  - id: mijn-voorbeeld\n    name: Mijn voorbeeld\n    aliases: [boekstart]\n    title: x\n    library: x\n"
                       "    summary: x\n    source: {section: x}\n", ["veld 'aliases'", "'boekstart' hoort al bij 'boekstart'"]),
    ],
)
def test_bad_local_file_is_refused_and_changes_nothing(tmp_path, empty_local, name, text, expected):
    url = f"sqlite:///{tmp_path / 'kb.sqlite3'}"
    builder.build(url=url, local=empty_local)
    before = _sha(tmp_path / "kb.sqlite3")

    local = tmp_path / "local"
    _write(local, name, text)
    with pytest.raises(loader.DataFileError) as caught:
        builder.build(url=url, local=local, force=True)
    message = str(caught.value)
    assert name in message
    for part in expected:
        assert part in message
    assert _sha(tmp_path / "kb.sqlite3") == before
    assert not list(tmp_path.glob("*.building"))


def test_cli_reports_errors_without_a_traceback(tmp_path, capsys, monkeypatch):
    from bot.cli import main

    local = tmp_path / "local"
    _write(local, "kapot.yml", "programmes:\n  - id: x\n")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'kb.sqlite3'}")
    assert main(["kb", "build", "--local", str(local)]) == 2
    err = capsys.readouterr().err
    assert "NIET gebouwd" in err and "kapot.yml" in err and "veld 'name'" in err
    assert "Traceback" not in err
    assert not (tmp_path / "kb.sqlite3").exists()


def test_duplicate_id_in_one_layer_is_an_error(tmp_path):
    core = tmp_path / "core"
    shutil.copytree(builder.CORE_DIR, core)
    _write(core, "dubbel.yml", """
        examples:
          - id: voorbeeld-venlo
            name: nog een keer
            title: x
            library: x
            summary: x
            source: {section: x}
    """)
    with pytest.raises(loader.DataFileError) as caught:
        loader.load(core, None)
    assert "'voorbeeld-venlo' bestaat al" in str(caught.value)


def test_a_reader_goes_on_with_its_build_when_the_next_cannot_be_read(tmp_path, empty_local, monkeypatch):
    """A new build that cannot be read whole (the database busy for a moment) must not turn answers into
    errors: the reader keeps the complete build it has and takes the new one at the next try."""
    from knowledge import query

    url = f"sqlite:///{tmp_path / 'kb.sqlite3'}"
    builder.build(url=url, local=empty_local)
    kb = KnowledgeBase(url)
    assert kb.place_names() and kb.find_place("Testdorp") is None
    old = kb._snap()

    local = tmp_path / "local"
    _write(local, "places_test.csv", "name,municipality,province,lat,lon,source,aliases\n"
                                     "Testdorp,Testgemeente,Utrecht,52.1,5.1,test: alleen voor deze test,\n")
    builder.build(url=url, local=local, force=True)

    def refuse(session):
        raise RuntimeError("database even bezet")

    real = query._Snapshot
    monkeypatch.setattr(query, "_Snapshot", refuse)
    assert kb._snap() is old
    assert kb.programme("boekstart") is not None and kb.find_place("Testdorp") is None
    monkeypatch.setattr(query, "_Snapshot", real)
    assert kb.find_place("Testdorp") is not None  # the next try loads the new build


def test_a_first_load_that_fails_is_an_error_not_an_empty_kb(tmp_path, empty_local, monkeypatch):
    from knowledge import query

    url = f"sqlite:///{tmp_path / 'kb.sqlite3'}"
    builder.build(url=url, local=empty_local)

    def refuse(session):
        raise RuntimeError("database even bezet")

    monkeypatch.setattr(query, "_Snapshot", refuse)
    with pytest.raises(RuntimeError):
        KnowledgeBase(url).programme("boekstart")


def test_a_server_database_is_emptied_in_place_unless_its_columns_changed(tmp_path):
    """In PostgreSQL the build replaces rows (DELETE, INSERT) in one transaction: DROP TABLE would lock out,
    and deadlock with, readers of the old build. Tables are made anew only when their columns changed."""
    from sqlalchemy import create_engine, inspect, text as sql

    from knowledge import models

    engine = create_engine(f"sqlite:///{tmp_path / 'server.sqlite3'}")
    with engine.begin() as conn:
        models.Base.metadata.create_all(conn)
        conn.execute(models.Meta.__table__.insert(), [{"key": "build_id", "value": "old"}])
        conn.execute(sql("CREATE TABLE other_app (x INTEGER)"))  # not ours: left alone
    with engine.begin() as conn:
        assert builder._tables_match(conn)
        conn.execute(sql("CREATE TRIGGER kept AFTER INSERT ON meta BEGIN SELECT 1; END"))  # gone if meta is dropped
        builder._empty_tables(conn)
    with engine.connect() as conn:
        assert conn.execute(sql("SELECT count(*) FROM meta")).scalar() == 0
        assert conn.execute(sql("SELECT count(*) FROM sqlite_master WHERE name = 'kept'")).scalar() == 1
        assert "other_app" in inspect(conn).get_table_names()

    with engine.begin() as conn:
        conn.execute(sql("ALTER TABLE facts ADD COLUMN stale TEXT"))
    with engine.begin() as conn:
        assert not builder._tables_match(conn)
        builder._empty_tables(conn)
    with engine.connect() as conn:
        assert "stale" not in {c["name"] for c in inspect(conn).get_columns("facts")}
        assert builder._tables_match(conn)
    engine.dispose()
