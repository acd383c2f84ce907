"""Offline check of the answering rule on question sets written by others (for tuning and reports).

Loads the trained model's NLU in-process and runs the answering action on each case of an `ask.py`
style file, carrying the slots from turn to turn as Rasa would, and judges the last reply with the
case's regexes. Much faster than a server round trip, so the weights and thresholds of
`knowledge/ranker.py` can be set on held-out questions. `make eval` (through HTTP) is the real measure.

  python -m bot.calibrate tests/eval/heldout.yml [--show-fail] [--trace]
"""
from __future__ import annotations

import argparse
import asyncio
import logging
import os
import re
import sys
from pathlib import Path
from typing import Dict, List

import yaml

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ROOT = Path(__file__).resolve().parent.parent

#: Intents the rules answer with a fixed response, without the action server (data/rules/smalltalk.yml).
SMALLTALK = {"greet": "utter_greet", "goodbye": "utter_goodbye", "thank": "utter_thank", "affirm": "utter_affirm",
             "deny": "utter_deny", "bot_capabilities": "utter_capabilities", "bot_challenge": "utter_bot_challenge",
             "ask_human": "utter_ask_human"}
ENTITY_SLOTS = ("programme", "scheme", "organisation", "example", "topic", "place")


def reply_text(messages: List[dict], responses: Dict[str, list]) -> str:
    parts = []
    for m in messages:
        if m.get("response"):
            r = responses[m["response"]][0]
            parts.append(r.get("text", ""))
            parts += [b["title"] for b in r.get("buttons") or []]
            continue
        parts.append(m.get("text") or "")
        parts += [b.get("title", "") for b in m.get("buttons") or []]
    return "\n".join(parts)


CLARIFY = "Ik weet niet precies wat u bedoelt"
DONT_KNOW = ("Dat weet ik niet", "Dat cijfer heb ik niet", "Daar kan ik u helaas niet mee helpen", "ken ik niet",
             "staat niet in mijn gegevens", "In welke plaats")


def kind_of_reply(reply: str) -> str:
    """'clarify', 'unknown' (no answer, a route or a question for the place) or 'answer'."""
    if CLARIFY in reply:
        return "clarify"
    return "unknown" if any(d in reply for d in DONT_KNOW) else "answer"


def judge(case: dict, reply: str) -> bool:
    return (all(re.search(p, reply, re.I) for p in case.get("expect", []))
            and not any(re.search(p, reply, re.I) for p in case.get("reject", []) or []))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bot.calibrate")
    ap.add_argument("files", nargs="+", type=Path)
    ap.add_argument("--show-fail", action="store_true")
    ap.add_argument("--trace", action="store_true", help="the ranking of every judged turn")
    ap.add_argument("--sweep", action="append", help="NAME=v1,v2: score the sets with each value of one constant")
    args = ap.parse_args(argv)
    logging.disable(logging.WARNING)

    from rasa.core.agent import Agent
    from rasa_sdk import Tracker
    from rasa_sdk.executor import CollectingDispatcher

    import actions.base
    from actions.answer import ActionAnswer, evidence_of
    from bot.serve import Settings  # noqa: F401  (same environment defaults as the servers)
    from knowledge.query import default

    actions.base.note_unanswered = lambda tracker: None  # no feedback rows from a calibration run
    import actions.answer as answer_module
    answer_module.note_unanswered = lambda tracker: None

    agent = Agent.load(str(ROOT / "models" / "bieb.tar.gz"))
    responses = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))["responses"]
    action, kb = ActionAnswer(), default()
    parsed_turns: Dict[str, dict] = {}

    def parse(turn: str) -> dict:
        if turn not in parsed_turns:  # the NLU is deterministic: parse each message once
            parsed_turns[turn] = asyncio.run(agent.parse_message(turn[:1000]))
        return parsed_turns[turn]

    def run_case(case: dict):
        slots: Dict[str, object] = {}
        events: List[dict] = []  # as the server sends them: the user's messages and the slots the actions set
        reply, intent, tracker = "", None, None
        for turn in case["turns"]:
            parsed = parse(turn)
            intent = parsed["intent"]["name"]
            events.append({"event": "user", "text": parsed.get("text"), "parse_data": parsed})
            if intent in SMALLTALK:
                reply = reply_text([{"response": SMALLTALK[intent]}], responses)
                continue
            for ent in parsed.get("entities") or []:
                if ent.get("entity") in ENTITY_SLOTS:
                    slots[ent["entity"]] = ent.get("value")
            tracker = Tracker("calibrate", dict(slots), parsed, list(events), False, None, {}, "action_listen")
            dispatcher = CollectingDispatcher()
            for e in action.run(dispatcher, tracker, {}):
                events.append(e)
                if e.get("event") == "slot":
                    slots[e["name"]] = e["value"]
            reply = reply_text(dispatcher.messages, responses)
        return judge(case, reply), reply, intent, tracker

    sets = [(path, yaml.safe_load(path.read_text(encoding="utf-8"))["cases"]) for path in args.files]

    def score(verbose: bool) -> int:
        total_pass = total = 0
        failed_as: Dict[str, int] = {"answer": 0, "clarify": 0, "unknown": 0}
        for path, cases in sets:
            by_who: Dict[str, List[int]] = {}
            for case in cases:
                ok, reply, intent, tracker = run_case(case)
                if not ok:
                    failed_as[kind_of_reply(reply)] += 1
                w = by_who.setdefault(case.get("who", "?"), [0, 0])
                w[0] += ok
                w[1] += 1
                if not ok and verbose and args.show_fail:
                    print(f"FAIL {case['id']} [{intent}] {case['turns'][-1][:70]!r}\n     => {reply.replace(chr(10), ' | ')[:220]}")
                    if args.trace and tracker is not None:
                        decision = kb.decide(evidence_of(tracker, kb))
                        for r in decision.ranked[:3]:
                            print(f"        {decision.move:8} {r.score:.3f} lex={r.lexical:.2f} {r.unit.key}")
            passed = sum(v[0] for v in by_who.values())
            if verbose:
                print(f"{path}: " + ", ".join(f"{k} {v[0]}/{v[1]}" for k, v in sorted(by_who.items()))
                      + f" -> {passed}/{len(cases)} ({100 * passed / len(cases):.1f}%)")
            total_pass += passed
            total += len(cases)
        if verbose:
            print(f"all: {total_pass}/{total} ({100 * total_pass / max(1, total):.1f}%); failed as: "
                  f"{failed_as['answer']} wrong answers, {failed_as['clarify']} clarifying questions, "
                  f"{failed_as['unknown']} 'not known' or routes")
        return total_pass, failed_as["answer"]

    score(True)
    import knowledge.ranker as ranker
    for spec in args.sweep or []:  # NAME=v1,v2,...: one constant of the ranker or the action at a time
        name, values = spec.split("=")
        module = ranker if hasattr(ranker, name) else answer_module
        original = getattr(module, name)
        results = []
        for value in values.split(","):
            setattr(module, name, None if value == "None" else type(original)(value))
            kb._snap()._ranker = None  # a constant of the index (INDEX_CHARS) takes effect in a new ranker
            passed, wrong = score(False)
            results.append(f"{value}:{passed}/{wrong}w")
        setattr(module, name, original)
        kb._snap()._ranker = None
        print(f"sweep {name} (now {original}), passed/wrong answers: " + " ".join(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
