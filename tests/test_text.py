"""Text normalisation shared by the KB and the ranking."""
from __future__ import annotations

import sys
import threading

from knowledge import text


def test_stemming_in_many_threads_at_once_gives_the_same_stems():
    """Snapshots are loaded in threads (the action server, the web server's staff page). A stemmer shared by
    threads mixes up their words: stems went wrong or raised IndexError while loading in parallel."""
    words = [f"{stem}{end}" for stem in ("bibliothe", "voorlez", "programm", "gemeent", "vrijwillig", "leesbevorder")
             for end in ("ken", "ingen", "aars", "elijkheden", "sters", "tjes", "ende", "isch")]
    expected = {w: text.snowballstemmer.stemmer("dutch").stemWord(w) for w in words}
    problems = []

    def work(offset: int):
        try:
            for _ in range(150):
                for w in words[offset:] + words[:offset]:
                    got = text._stemmer().stemWord(w)
                    if got != expected[w]:
                        problems.append((w, got))
        except Exception as exc:  # the corruption shows as IndexError inside the stemmer
            problems.append(repr(exc))

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible, so a shared stemmer is caught
    try:
        threads = [threading.Thread(target=work, args=(i * 7,)) for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(interval)
    assert not problems, problems[:5]
