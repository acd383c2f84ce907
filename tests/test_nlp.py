"""The Dutch spaCy pipeline (blank base, always tested) and the NLU data generated from the KB."""
from __future__ import annotations

import pytest
import spacy
from rasa.shared.nlu.training_data.loading import load_data

from bot import nlp


@pytest.fixture(scope="module")
def blank_pipeline(kb, tmp_path_factory):
    out = tmp_path_factory.mktemp("spacy-nl")
    info = nlp.build_pipeline(kb, out=out, force_blank=True)
    return spacy.load(out), info, out


def test_blank_base_lemmatises_dutch(blank_pipeline):
    pipe, info, _ = blank_pipeline
    assert info["base"].startswith("blank nl")
    lemmas = {t.text: t.lemma_ for t in pipe("bibliotheken reisden luisterboeken")}
    assert lemmas == {"bibliotheken": "bibliotheek", "reisden": "reizen", "luisterboeken": "luisterboek"}


@pytest.mark.parametrize("text, label, value", [
    ("wat kost walk en talk", "programme", "walk en talk"),
    ("hoeveel geld zit in het Jeugdpakket", "scheme", "Jeugdpakket"),
    ("wat doet de manifestgroep", "organisation", "manifestgroep"),
])
def test_entity_ruler_knows_every_kb_name(blank_pipeline, text, label, value):
    pipe, _, _ = blank_pipeline
    assert any(e.label_ == label and value in e.text for e in pipe(text).ents)


def test_pipeline_is_current_until_the_names_change(kb, blank_pipeline):
    _, _, out = blank_pipeline
    assert nlp.pipeline_is_current(kb, out=out, force_blank=True)
    info = out / "bieb-pipeline.json"
    info.write_text(info.read_text().replace('"patterns_sha": "', '"patterns_sha": "x'))
    assert not nlp.pipeline_is_current(kb, out=out, force_blank=True)


def test_generated_nlu_is_valid_rasa_data_and_marked(kb, tmp_path):
    target = tmp_path / "generated_kb.yml"
    counts = nlp.generate_nlu(kb, out=target)
    assert target.read_text().startswith("# GENERATED")
    data = load_data(str(target))
    tables = {t["name"]: t["elements"] for t in data.lookup_tables}
    assert {"programme", "scheme", "organisation", "example", "topic", "place"} <= set(tables)
    assert "Kaatsheuvel" in tables["place"] and "Ommen" in tables["place"]
    assert data.entity_synonyms.get("boekstrat") == "BoekStart"
    assert counts["synonyms"] > 40


def test_generated_file_is_not_rewritten_when_unchanged(kb, tmp_path):
    target = tmp_path / "generated_kb.yml"
    nlp.generate_nlu(kb, out=target)
    before = target.stat().st_mtime_ns
    nlp.generate_nlu(kb, out=target)
    assert target.stat().st_mtime_ns == before
