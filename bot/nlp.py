"""The Dutch language parts Rasa trains on, made from the KB so they never drift from it.

- `build_pipeline`: the spaCy pipeline that `config.yml` loads from `var/spacy-nl`. Base is
  `nl_core_news_sm` when it is importable, else a blank Dutch pipeline with the lookup lemmatizer
  (spacy-lookups-data). On top: an entity ruler with every KB name and alias.
- `generate_nlu`: lookup tables and synonyms (`data/nlu/generated_kb.yml`) from the same names.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Dict, Iterable, List, Tuple

from knowledge.db import ROOT
from knowledge.query import KnowledgeBase

PIPELINE_DIR = ROOT / "var" / "spacy-nl"
GENERATED_NLU = ROOT / "data" / "nlu" / "generated_kb.yml"
#: KB record kind -> Rasa entity name.
ENTITY_OF_KIND = {
    "programmes": "programme",
    "schemes": "scheme",
    "organisations": "organisation",
    "examples": "example",
    "topics": "topic",
}


def kb_names(kb: KnowledgeBase) -> List[Tuple[str, str, str, List[str]]]:
    """(entity, record id, canonical name, aliases) for every named record, aliases unique per entity."""
    out = []
    for kind, entity in ENTITY_OF_KIND.items():
        for rec in kb.all(kind):
            # Surface forms matter here ('walk en talk' next to 'Walk & Talk'): drop only exact repeats.
            aliases = [a for a in rec.aliases if a.lower() != rec.name.lower()]
            out.append((entity, rec.id, rec.name, aliases))
    return out


def base_pipeline():
    """nl_core_news_sm where it is installed, else blank Dutch with lookup lemmas. Returns (nlp, base name)."""
    import spacy

    try:
        import nl_core_news_sm  # noqa: F401  (optional, see README)

        return spacy.load("nl_core_news_sm"), "nl_core_news_sm"
    except ImportError:
        nlp = spacy.blank("nl")
        nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
        nlp.initialize()  # loads the lookup table from spacy-lookups-data, offline
        return nlp, "blank nl + lookup-lemmatizer"


def ruler_patterns(kb: KnowledgeBase) -> List[dict]:
    patterns = []
    for entity, ref_id, name, aliases in kb_names(kb):
        for label in sorted({name, *aliases}):
            patterns.append({"label": entity, "pattern": label, "id": ref_id})
    return patterns


def patterns_digest(patterns: List[dict]) -> str:
    return hashlib.sha256(json.dumps(patterns, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:16]


def pipeline_is_current(kb: KnowledgeBase, out: Path = PIPELINE_DIR, force_blank: bool = False) -> bool:
    """True when the saved pipeline has the same base and the same KB names: then nothing is rebuilt (or retrained)."""
    info_file = out / "bieb-pipeline.json"
    if not info_file.exists():
        return False
    info = json.loads(info_file.read_text())
    base = "blank nl + lookup-lemmatizer" if force_blank else _base_name()
    return info.get("patterns_sha") == patterns_digest(ruler_patterns(kb)) and info.get("base") == base


def _base_name() -> str:
    try:
        import nl_core_news_sm  # noqa: F401

        return "nl_core_news_sm"
    except ImportError:
        return "blank nl + lookup-lemmatizer"


def build_pipeline(kb: KnowledgeBase, out: Path = PIPELINE_DIR, force_blank: bool = False) -> Dict[str, str]:
    import spacy

    if force_blank:
        nlp = spacy.blank("nl")
        nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
        nlp.initialize()
        base = "blank nl + lookup-lemmatizer"
    else:
        nlp, base = base_pipeline()
    ruler_config = {"phrase_matcher_attr": "LOWER", "overwrite_ents": True}
    if "ner" in nlp.pipe_names:
        ruler = nlp.add_pipe("entity_ruler", before="ner", config=ruler_config)
    else:
        ruler = nlp.add_pipe("entity_ruler", config=ruler_config)
    patterns = ruler_patterns(kb)
    ruler.add_patterns(patterns)
    out.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(out)
    # Only what the pipeline is made of: a KB rebuild with the same names changes nothing here.
    info = {"base": base, "patterns_sha": patterns_digest(patterns), "patterns": str(len(patterns))}
    (out / "bieb-pipeline.json").write_text(json.dumps(info, indent=2))
    return info


def _yaml_block(lines: Iterable[str]) -> str:
    return "".join(f"      - {line}\n" for line in lines)


def _safe(text: str) -> str:
    # Inside a YAML block scalar a line is literal; keep it one line.
    return " ".join(text.split())


def generate_nlu(kb: KnowledgeBase, out: Path = GENERATED_NLU) -> Dict[str, int]:
    """Lookup tables (one per entity) and synonyms (alias -> canonical name) from the KB."""
    by_entity: Dict[str, List[str]] = {}
    synonyms: List[Tuple[str, List[str]]] = []
    for entity, _ref, name, aliases in kb_names(kb):
        by_entity.setdefault(entity, []).extend([name, *aliases])
        if aliases:
            synonyms.append((name, aliases))
    text = [
        "# GENERATED from the knowledge base by `python -m bot nlp` (make nlp). Do not edit: change knowledge/data and rebuild.\n",
        'version: "3.1"\n',
        "nlu:\n",
    ]
    # Places: a feature that says "this word is a Dutch place", so a bare "Drachten" or "vaals" is understood.
    by_entity["place"] = [p for p in kb.place_names() if len(p) > 2]
    for entity, values in sorted(by_entity.items()):
        unique = sorted({_safe(v) for v in values}, key=str.lower)
        text.append(f"  - lookup: {entity}\n    examples: |\n{_yaml_block(unique)}")
    seen = set()
    for name, aliases in sorted(synonyms):
        keep = []
        for alias in aliases:
            key = alias.lower()
            if key not in seen:
                seen.add(key)
                keep.append(_safe(alias))
        if keep:
            text.append(f"  - synonym: {json.dumps(_safe(name), ensure_ascii=False)}\n    examples: |\n{_yaml_block(keep)}")
    content = "".join(text)
    if not out.exists() or out.read_text(encoding="utf-8") != content:
        out.write_text(content, encoding="utf-8")  # unchanged content keeps its file, so training is not redone
    return {entity: len(set(v)) for entity, v in by_entity.items()} | {"synonyms": len(synonyms)}
