"""Questions written by others stay out of the training data, or they stop measuring understanding.

Checked: the dev set beside the repository (`../shared/eval/questions.yml`, when present), the project's
blind sets (`tests/eval/heldout.yml`, `heldout2.yml`, `followups.yml`, `blind2.yml` to `blind5.yml`) and the NLU held-out set (`tests/nlu/holdout.yml`). A
question of five words or more may not stand in `data/nlu/` after normalising case, punctuation,
entity markup and spaces. Shorter follow-ups ("voor wie is het") are fair training examples.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Iterable, Set

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
DEV_SET = ROOT.parent / "shared" / "eval" / "questions.yml"
BLIND_SETS = [ROOT / "tests" / "eval" / "heldout.yml", ROOT / "tests" / "eval" / "heldout2.yml", ROOT / "tests" / "eval" / "blind2.yml", ROOT / "tests" / "eval" / "blind3.yml",
              ROOT / "tests" / "eval" / "blind4.yml", ROOT / "tests" / "eval" / "blind5.yml", ROOT / "tests" / "eval" / "followups.yml"]
NLU_HOLDOUT = ROOT / "tests" / "nlu" / "holdout.yml"


def norm(text: str) -> str:
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text.lower())
    return " ".join(re.sub(r"[^\w\s]", " ", text).split())


def examples(path: Path) -> Iterable[str]:
    for block in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("nlu") or []:
        for line in (block.get("examples") or "").splitlines():
            line = line.strip()
            if line.startswith("- "):
                yield line[2:]


def training() -> Set[str]:
    return {norm(e) for path in sorted((ROOT / "data" / "nlu").glob("*.yml")) for e in examples(path)}


def long_enough(questions: Iterable[str]) -> Set[str]:
    return {q for q in map(norm, questions) if len(q.split()) >= 5}


def case_turns(path: Path) -> Iterable[str]:
    for case in yaml.safe_load(path.read_text(encoding="utf-8"))["cases"]:
        yield from case["turns"]


@pytest.mark.parametrize("path", BLIND_SETS, ids=lambda p: p.name)
def test_the_blind_sets_are_not_training_data(path):
    copies = sorted(long_enough(case_turns(path)) & training())
    assert not copies, copies


@pytest.mark.parametrize("path", BLIND_SETS, ids=lambda p: p.name)
def test_the_blind_sets_are_well_formed(path):
    for case in yaml.safe_load(path.read_text(encoding="utf-8"))["cases"]:
        assert case["turns"] and case["expect"], case["id"]
        for pattern in case["expect"] + (case.get("reject") or []):
            re.compile(pattern, re.I)


@pytest.mark.skipif(not DEV_SET.exists(), reason="the dev set lives beside the repository, in ../shared/eval/")
def test_the_dev_set_is_not_training_data():
    copies = sorted(long_enough(case_turns(DEV_SET)) & training())
    assert not copies, copies


def test_the_nlu_holdout_is_not_training_data():
    # Stricter than the rule: not even a short example of the holdout may be a training example.
    copies = sorted({norm(e) for e in examples(NLU_HOLDOUT)} & training())
    assert not copies, copies


def test_the_check_finds_a_copy(tmp_path):
    """The normalising must see through case, punctuation and entity markup, or the tests above prove nothing."""
    assert norm("Wat is het [Jeugdpakket](scheme)?") == norm("wat is het jeugdpakket")
    assert long_enough(["Hoeveel e-books hadden leden in 2019?"]) == {"hoeveel e books hadden leden in 2019"}
