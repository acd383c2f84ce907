"""`make bench`: the assistant measured through its REST channel, with two references in the same run.

- latency per turn (p50/p95) over a few hundred questions, next to the floor: a turn that Rasa
  answers with a plain response and no custom action;
- answer-correctness on the held-out set: the reply through REST equals the reply that the right
  action gives for the same words with the gold intent and entities (run in-process on the same KB),
  so misunderstood intents and entities that change the answer count as wrong;
- peak memory (VmHWM) of the Rasa server and the action server; training time of the model;
- Rasa's default pipeline (the `rasa init` configuration) trained on the same data and scored on
  the same held-out set, next to ours (skip with BENCH_SKIP_DEFAULT=1).
Results go to results/bench.json. Timings are reported, never asserted.
"""
from __future__ import annotations

import json
import os
import random
import socket
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Dict, List, Tuple

from bot.serve import Servers, Settings, ask
from knowledge.db import ROOT

HOLDOUT = ROOT / "tests" / "nlu" / "holdout.yml"
RESULTS = ROOT / "results"
DEFAULT_CONFIG = ROOT / "bot" / "reference" / "config_rasa_init.yml"
FLOOR_TURNS = 200


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def holdout() -> List[Tuple[str, str, Dict[str, str]]]:
    """(text, gold intent, gold entities) of every held-out example."""
    from rasa.shared.nlu.training_data.loading import load_data

    data = load_data(str(HOLDOUT))
    out = []
    for ex in data.intent_examples:
        ents = {e["entity"]: e["value"] for e in ex.get("entities") or []}
        out.append((ex.get("text"), ex.get("intent"), ents))
    return out


def pct(samples: List[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def timed(settings: Settings, sender: str, text: str) -> Tuple[float, list]:
    start = time.perf_counter()
    reply = ask(settings, sender, text)
    return time.perf_counter() - start, reply


def peak_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def comparable(messages: list) -> list:
    return [(m.get("text"), [b.get("title") for b in m.get("buttons") or []]) for m in messages]


class GoldAnswers:
    """What the bot should say for (text, gold intent, gold entities): the rule's action, run in-process."""

    def __init__(self):
        import yaml
        from rasa.shared.core.domain import Domain
        from rasa_sdk.executor import ActionExecutor

        self.action_of = {}
        for path in sorted((ROOT / "data" / "rules").glob("*.yml")):
            for rule in yaml.safe_load(path.read_text())["rules"]:
                steps = rule["steps"]
                self.action_of[steps[0]["intent"]] = steps[1]["action"]
        self.domain = Domain.from_path(str(ROOT / "domain.yml"))
        self.executor = ActionExecutor()
        self.executor.register_package("actions")

    def reply(self, text: str, intent: str, entities: Dict[str, str]) -> list:
        from rasa_sdk import Tracker
        from rasa_sdk.executor import CollectingDispatcher

        action = self.action_of.get(intent, "action_default_fallback")
        if action.startswith("utter_"):
            return [self.rendered(action)]
        latest = {"text": text, "intent": {"name": intent, "confidence": 1.0},
                  "entities": [{"entity": k, "value": v} for k, v in entities.items()]}
        tracker = Tracker("gold", {}, latest, [], False, None, {}, "action_listen")
        dispatcher = CollectingDispatcher()
        self.executor.actions[action](dispatcher, tracker, {})
        return [self.rendered(m["response"]) if m.get("response") else {"text": m.get("text"), "buttons": m.get("buttons") or []}
                for m in dispatcher.messages]

    def rendered(self, response_name: str) -> dict:
        """A response the action names (`response=`), as Rasa sends it: its first variant's text and buttons."""
        response = self.domain.responses[response_name][0]
        return {"text": response.get("text"), "buttons": response.get("buttons") or []}


def measure_bot(examples) -> dict:
    settings = Settings(rasa_port=free_port(), action_port=free_port())
    servers = Servers(settings, log_dir=RESULTS / "bench-logs")
    started = time.perf_counter()
    servers.start(timeout=300)
    start_seconds = time.perf_counter() - started
    try:
        rng = random.Random(7)
        # Warm-up: first turns load lazy parts (KB snapshot, TensorFlow graphs).
        for text, _, _ in examples[:10]:
            ask(settings, "warmup", text)
        floor = [timed(settings, f"floor-{i % 20}", rng.choice(["hallo", "dankjewel", "doei", "ben jij een robot"]))[0]
                 for i in range(FLOOR_TURNS)]
        turns, correct, wrong = [], 0, []
        gold_answers = GoldAnswers()
        for text, intent, ents in examples:
            seconds, reply = timed(settings, uuid.uuid4().hex, text)
            turns.append(seconds)
            gold = gold_answers.reply(text, intent, ents)
            if comparable(reply) == comparable(gold):
                correct += 1
            else:
                wrong.append({"text": text, "intent": intent})
        # More turns for a steadier latency figure: the same questions again, in a new order.
        for text, _, _ in rng.sample(examples, len(examples)):
            turns.append(timed(settings, uuid.uuid4().hex, text)[0])
        memory = {name: round(peak_kb(proc.pid) / 1024) for name, proc in servers.processes.items()}
    finally:
        servers.stop()
    return {
        "turns": len(turns), "p50_ms": round(pct(turns, 0.5), 1), "p95_ms": round(pct(turns, 0.95), 1),
        "floor_turns": len(floor), "floor_p50_ms": round(pct(floor, 0.5), 1), "floor_p95_ms": round(pct(floor, 0.95), 1),
        "correct": correct, "examples": len(examples), "correctness": round(correct / len(examples), 4),
        "peak_memory_mb": memory, "server_start_seconds": round(start_seconds, 1), "wrong": wrong[:40],
    }


def nlu_f1(model: Path, out: Path) -> dict:
    cmd = [sys.executable, "-m", "bot.quiet", str(Path(sys.executable).with_name("rasa")), "test", "nlu", "--model", str(model),
           "--nlu", str(HOLDOUT), "--out", str(out)]
    subprocess.run(cmd, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    from bot.report_nlu import summary

    return summary(out)


def measure_default_pipeline() -> dict:
    out = RESULTS / "default-pipeline"
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "bot.quiet", str(Path(sys.executable).with_name("rasa")), "train", "nlu",
                    "--config", str(DEFAULT_CONFIG), "--nlu", "data/nlu", "--out", str(out), "--fixed-model-name", "default"],
                   cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    seconds = time.perf_counter() - start
    models = sorted(out.glob("default*.tar.gz"))
    result = nlu_f1(models[-1], out / "nlu")
    result["training_seconds"] = round(seconds, 1)
    return result


def main() -> int:
    RESULTS.mkdir(exist_ok=True)
    # Questions the bot cannot answer are recorded for staff; keep the benchmark's apart.
    os.environ["FEEDBACK_DATABASE_URL"] = f"sqlite:///{RESULTS / 'bench-feedback.sqlite3'}"
    examples = holdout()
    fingerprint = json.loads((ROOT / "models" / "bieb.fingerprint.json").read_text())
    report = {"training_seconds": fingerprint.get("seconds")}
    print("NLU op de held-out set (ons model)...")
    report["nlu"] = nlu_f1(ROOT / "models" / "bieb.tar.gz", RESULTS / "nlu")
    print("bot via REST...")
    report["bot"] = measure_bot(examples)
    if not os.environ.get("BENCH_SKIP_DEFAULT"):
        print("referentie: Rasa's standaardpijplijn (rasa init) trainen en meten...")
        report["default_pipeline"] = measure_default_pipeline()
    (RESULTS / "bench.json").write_text(json.dumps(report, indent=2, ensure_ascii=False))

    bot, nlu = report["bot"], report["nlu"]
    print("\n== Bieb-assistent, gemeten ==")
    print(f"beurten via REST: {bot['turns']}   p50 {bot['p50_ms']} ms   p95 {bot['p95_ms']} ms")
    print(f"vloer (gewoon antwoord, geen actie): {bot['floor_turns']} beurten   p50 {bot['floor_p50_ms']} ms   p95 {bot['floor_p95_ms']} ms")
    print(f"p95 / vloer-p50: {bot['p95_ms'] / bot['floor_p50_ms']:.2f}x   (doel: p95 < 60 ms en binnen 2,5x de vloer)")
    print(f"juiste antwoorden op de held-out set: {bot['correct']}/{bot['examples']} = {bot['correctness']:.1%}")
    print(f"intent macro-F1: {nlu['intent_macro_f1']}   entity F1 (DIET): {nlu.get('entity_f1_DIETClassifier')}")
    if "default_pipeline" in report:
        d = report["default_pipeline"]
        print(f"standaardpijplijn: intent macro-F1 {d['intent_macro_f1']}   entity F1 {d.get('entity_f1_DIETClassifier')}   training {d['training_seconds']} s")
    print(f"training (ons model): {report['training_seconds']} s")
    print(f"piekgeheugen (MB): {bot['peak_memory_mb']}   opstarten: {bot['server_start_seconds']} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
