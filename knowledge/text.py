"""Dutch text handling for matching and retrieval: normalising, tokens, lemmas and stems.

Lemmas come from spaCy's Dutch lookup table (spacy-lookups-data), stems from the Snowball Dutch
stemmer; both are loaded once per process. No spaCy pipeline is loaded here: the KB stays light.
"""
from __future__ import annotations

import gzip
import importlib.util
import json
import re
import threading
import unicodedata
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Dict, List, Optional

import snowballstemmer
from text_to_num import alpha2digit

#: Queries are cut to this length before any work: nobody asks a 10 000-character question.
MAX_QUERY_CHARS = 500

_NON_WORD = re.compile(r"[^0-9a-z]+")
_AMPERSAND = re.compile(r"\s*&\s*")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")

# Small function words that carry no meaning for retrieval. spaCy's list is too eager here
# ("veel", "meer", "keer" and "jaar" matter in questions about figures), so the list is ours.
STOPWORDS = frozenset(
    """
    de het een en of van voor in op aan met bij naar om te tot uit over door als dan dat die dit deze
    er is zijn was waren wordt worden werd werden ben bent heb hebt heeft hebben had kan kun kunt kunnen
    wil wilt willen mag moet moeten zal zou ik je jij u we wij ze zij hij mijn jouw uw ons onze hun
    wat wie waar wanneer hoe welke welk waarom hoeveel nog ook al wel niet geen maar dus even eens
    mij me jou jullie hen hem haar zich iets ergens the a of to is what how many where
    """.split()
)


def clean(text: str, limit: Optional[int] = MAX_QUERY_CHARS) -> str:
    """Make untrusted input safe to process: no control characters, bounded length (`limit`; None for the
    KB's own texts), trimmed."""
    if not isinstance(text, str):
        return ""
    text = _CONTROL.sub(" ", text)[:limit]
    return " ".join(text.split())


def normalise(text: str, limit: Optional[int] = MAX_QUERY_CHARS) -> str:
    """Lower case, no accents, '&' as 'en', punctuation as space: 'Taalcafé's' -> 'taalcafe s'."""
    text = clean(text, limit).lower()
    text = _AMPERSAND.sub(" en ", text)
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.replace("'", "").replace("’", "").replace("-", "")
    return _NON_WORD.sub(" ", text).strip()


def compact(text: str) -> str:
    """Normalised without spaces, so 'jeugd pakket' and 'jeugdpakket' meet."""
    return normalise(text).replace(" ", "")


@lru_cache(maxsize=1)
def _lemmas() -> Dict[str, str]:
    path = resources.files("spacy_lookups_data") / "data" / "nl_lemma_lookup.json.gz"
    with path.open("rb") as handle, gzip.open(handle) as data:
        return json.load(data)


_local = threading.local()


def _stemmer():
    """One Snowball stemmer per thread: a stemmer keeps its word in its own fields while it works, so two
    threads sharing one corrupt each other's words (seen as an IndexError while snapshots load in parallel)."""
    stemmer = getattr(_local, "stemmer", None)
    if stemmer is None:
        stemmer = _local.stemmer = snowballstemmer.stemmer("dutch")
    return stemmer


@lru_cache(maxsize=2)
def _spacy_stop_words(lang: str = "nl") -> frozenset:
    """spaCy's stop words of a language, read from its word list: importing spaCy here would load TensorFlow
    into the action server (measured: 94 MB -> 503 MB)."""
    spec = importlib.util.find_spec("spacy")
    if spec is None or not spec.submodule_search_locations:
        return frozenset()
    path = Path(list(spec.submodule_search_locations)[0]) / "lang" / lang / "stop_words.py"
    found = re.search(r'"""(.*?)"""', path.read_text(encoding="utf-8"), re.S) if path.exists() else None
    return frozenset(found.group(1).split()) if found else frozenset()


@lru_cache(maxsize=1)
def _lexicon() -> frozenset:
    """Dutch word forms and lemmas that spaCy knows (lookup table and stop words): 'is this a word?'."""
    table = _lemmas()
    return frozenset(normalise(w) for w in (*table, *table.values(), *_spacy_stop_words()))


@lru_cache(maxsize=1)
def _function_words() -> frozenset:
    # English too: newcomers ask in simple English ('can i still get help there'); its function words say as
    # little as Dutch ones, and must not count as unknown names.
    return frozenset(normalise(w) for w in (*_spacy_stop_words("nl"), *_spacy_stop_words("en")))


def is_word(word: str) -> bool:
    """A known Dutch word (not a name, a typo or another language)."""
    return word in _lexicon()


def is_function_word(word: str) -> bool:
    """A word that carries little meaning in a question ('alleen', 'zo', 'eigenlijk', 'still'), by spaCy's
    Dutch and English lists."""
    return word in STOPWORDS or word in _function_words()


def as_digits(text: str) -> str:
    """Numbers written as words as digits ('vijftien bibliotheken' -> '15 bibliotheken', 'het
    tweehonderdste' -> 'het 200e'), by text2num; 'een' and 'eerste' stay words."""
    try:
        return alpha2digit(text or "", "nl")
    except Exception:  # the parser is strict about odd input; the text as written is still a question
        return text or ""


@lru_cache(maxsize=20000)
def is_number_word(word: str) -> bool:
    """'vijftien', 'tweehonderdste': a number written as a word."""
    return bool(word) and not word.isdigit() and as_digits(word) != word


def words(text: str, limit: Optional[int] = MAX_QUERY_CHARS) -> List[str]:
    return normalise(text, limit).split()


def lemma_of(word: str) -> str:
    """The lemma of a Dutch word form by spaCy's lookup table ('doet' -> 'doen'); the word itself if unknown."""
    return normalise(_lemmas().get(word, word)) or word


@lru_cache(maxsize=50_000)
def term(word: str) -> str:
    """A word's retrieval form: its lemma where the lookup table knows it, then the Snowball stem."""
    lemma = _lemmas().get(word, word)
    return _stemmer().stemWord(normalise(lemma) or word)


def terms(text: str, limit: Optional[int] = MAX_QUERY_CHARS) -> List[str]:
    """Content terms of a text: normalised, stopwords out, lemmatised and stemmed. A question is cut at
    `limit` characters; the KB's own texts may pass None (whole)."""
    return [term(w) for w in words(text, limit) if w not in STOPWORDS]
