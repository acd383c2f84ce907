"""`make eval`: ask the bot questions written by others and write the score to results/eval.txt.

Runs `../shared/eval/ask.py` (questions written from the handbook by people who never saw the training
data) and the project's blind sets, written the same way by helpers who saw neither `data/nlu/`
nor the code: `tests/eval/heldout.yml` and `heldout2.yml` (the answering rule is calibrated on them), `tests/eval/blind2.yml`,
`blind3.yml`, `blind4.yml` and `blind5.yml` (written later, never tuned on: the honest numbers; nobody here reads their
failures). Against the running bot, or
one started for the run and stopped after it. Never copy these questions into the training data: `tests/test_eval_sets.py`
fails when that happens.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path
from typing import List, Optional

from bot.serve import Servers, Settings, get

ROOT = Path(__file__).resolve().parent.parent
ASK = ROOT.parent / "shared" / "eval" / "ask.py"
SETS = [ROOT.parent / "shared" / "eval" / "questions.yml", ROOT / "tests" / "eval" / "heldout.yml",
        ROOT / "tests" / "eval" / "followups.yml", ROOT / "tests" / "eval" / "heldout2.yml", ROOT / "tests" / "eval" / "blind2.yml", ROOT / "tests" / "eval" / "blind3.yml",
        ROOT / "tests" / "eval" / "blind4.yml", ROOT / "tests" / "eval" / "blind5.yml"]


def run_sets(url: str, out: Path) -> int:
    out.parent.mkdir(parents=True, exist_ok=True)
    worst = 0
    with out.open("w", encoding="utf-8") as report:
        for path in SETS:
            if not path.exists():
                print(f"(overgeslagen: {path} bestaat niet)", file=report)
                continue
            done = subprocess.run([sys.executable, str(ASK), "--url", url, "--file", str(path)],
                                  capture_output=True, text=True, check=False)
            report.write(f"== {path}\n{done.stdout}{done.stderr}\n")
            worst = max(worst, done.returncode)
            print(f"{path.name}: {(done.stdout.strip().splitlines() or ['?'])[-1]}")
    print(f"rapport: {out}")
    return worst


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bot.eval")
    ap.add_argument("--out", type=Path, default=ROOT / "results" / "eval.txt")
    args = ap.parse_args(argv)
    if not ASK.exists():
        print(f"{ASK} ontbreekt: de vragen van anderen staan naast de repository in ../shared/eval/.")
        return 1
    settings = Settings()
    servers = None
    if get(f"{settings.rasa_url}/") is None:
        print("De bot draait nog niet; ik start hem voor de evaluatie (ongeveer een minuut)...")
        servers = Servers(settings)
        servers.start()
    try:
        return run_sets(os.environ.get("BOT_URL", settings.rasa_url), args.out)
    finally:
        if servers is not None:
            servers.stop()


if __name__ == "__main__":
    sys.exit(main())
