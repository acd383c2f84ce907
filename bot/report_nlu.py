"""Summarise a `rasa test nlu` run: intent macro-F1 and entity F1, saved for the benchmark and the notes."""
from __future__ import annotations

import json
import sys
from pathlib import Path

#: Below this the build fails: a regression in understanding is a bug. The target is 0.95.
INTENT_F1_FLOOR = 0.90


def summary(folder: Path) -> dict:
    intents = json.loads((folder / "intent_report.json").read_text())
    out = {"intent_macro_f1": round(intents["macro avg"]["f1-score"], 4),
           "intent_accuracy": round(intents.get("accuracy", 0.0), 4),
           "examples": int(intents["macro avg"]["support"])}
    for report in sorted(folder.glob("*Extractor_report.json")) + sorted(folder.glob("DIETClassifier_report.json")):
        data = json.loads(report.read_text())
        name = report.name.replace("_report.json", "")
        entities = {k: v for k, v in data.items() if isinstance(v, dict) and k not in ("micro avg", "macro avg", "weighted avg", "no_entity")}
        out[f"entity_f1_{name}"] = round(data.get("micro avg", data.get("weighted avg", {})).get("f1-score", 0.0), 4)
        out[f"entity_macro_f1_{name}"] = round(data.get("macro avg", {}).get("f1-score", 0.0), 4) if entities else None
    errors = folder / "intent_errors.json"
    out["intent_errors"] = len(json.loads(errors.read_text())) if errors.exists() else 0
    return out


def main() -> int:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    folder = Path(args[0] if args else "results/nlu")
    result = summary(folder)
    (folder / "summary.json").write_text(json.dumps(result, indent=2))
    for key, value in result.items():
        print(f"  {key:40} {value}")
    if "--report-only" in sys.argv:  # cross-validation: a measurement, not a gate
        return 0
    if result["intent_macro_f1"] < INTENT_F1_FLOOR:
        print(f"intent macro-F1 {result['intent_macro_f1']} is onder de ondergrens {INTENT_F1_FLOOR}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
