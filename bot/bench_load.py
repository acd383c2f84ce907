"""A bounded load test through the REST channel: N concurrent conversations for a fixed number of seconds.

    python -m bot.bench_load                       # starts the bot on free loopback ports (SQLite tracker store)
    python -m bot.bench_load --url http://127.0.0.1:8081 --concurrency 8 --seconds 30

Each worker plays one multi-turn conversation after the other (a new sender each time) until the time is
up, then stops by itself. Reported: turns, throughput, latency p50/p95/p99, errors (no 200 or no answer)
and wrong answers (a context question whose answer lacks what it must say). `make bench-load` runs the
local form and writes results/load.json; the scale-out test (tests/integration) runs it against two Rasa
servers behind nginx and checks that every turn sent is stored in the tracker store.
Only loopback addresses are accepted.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence

from knowledge.db import ROOT

RESULTS = ROOT / "results"
SCRIPT = ["Wat is het jeugdpakket?", "hoeveel gaat via het gemeentefonds?", "tot wanneer loopt het?", "wat is boekstart",
          "ik zoek een IDO", "Drachten"]
#: What an answer must contain. Drachten: the desk's town and branch name (knowledge/data/ido_locations.csv), which
#: "De plaats 'Drachten' ken ik niet" does not have.
EXPECT = {"hoeveel gaat via het gemeentefonds?": "40 miljoen", "Drachten": "In Drachten is een IDO: Bibliotheek Drachten."}
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}


def percentile(values: Sequence[float], p: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100
    low, high = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (k - low)


@dataclass
class LoadReport:
    url: str
    concurrency: int
    seconds: float
    elapsed: float = 0.0
    turns: int = 0
    conversations: int = 0
    errors: int = 0
    wrong: int = 0
    latencies: List[float] = field(default_factory=list)
    turns_per_sender: Dict[str, int] = field(default_factory=dict)
    error_samples: List[str] = field(default_factory=list)

    @property
    def throughput(self) -> float:
        return self.turns / self.elapsed if self.elapsed else 0.0

    def as_dict(self) -> dict:
        ms = lambda p: round(percentile(self.latencies, p) * 1000, 1)  # noqa: E731
        return {"url": self.url, "concurrency": self.concurrency, "seconds": self.seconds, "elapsed_s": round(self.elapsed, 1),
                "turns": self.turns, "conversations": self.conversations, "turns_per_s": round(self.throughput, 2),
                "p50_ms": ms(50), "p95_ms": ms(95), "p99_ms": ms(99),
                "mean_ms": round(statistics.fmean(self.latencies) * 1000, 1) if self.latencies else 0.0,
                "max_ms": round(max(self.latencies) * 1000, 1) if self.latencies else 0.0,
                "errors": self.errors, "wrong": self.wrong, "error_samples": self.error_samples[:10]}

    def summary(self) -> str:
        d = self.as_dict()
        return (f"load {d['url']}: {d['concurrency']} concurrent conversations for {d['seconds']:g} s -> "
                f"{d['turns']} turns in {d['conversations']} conversations, {d['turns_per_s']} turns/s, "
                f"p50 {d['p50_ms']} ms, p95 {d['p95_ms']} ms, p99 {d['p99_ms']} ms, max {d['max_ms']} ms, "
                f"errors {d['errors']}, wrong {d['wrong']}")


def check_loopback(url: str) -> None:
    host = urllib.parse.urlsplit(url).hostname
    if host not in LOOPBACK_HOSTS:
        raise SystemExit(f"alleen loopback-adressen (127.0.0.1): {url}")


def run_load(url: str, concurrency: int = 8, seconds: float = 30.0, script: Sequence[str] = SCRIPT,
             prefix: Optional[str] = None, expect: Optional[Dict[str, str]] = None, timeout: float = 30.0) -> LoadReport:
    """Play `script` as conversations from `concurrency` threads until `seconds` have passed (a turn in flight ends)."""
    check_loopback(url)
    prefix = prefix or f"load-{uuid.uuid4().hex[:8]}-"
    expect = EXPECT if expect is None else expect
    endpoint = url.rstrip("/") + "/webhooks/rest/webhook"
    report = LoadReport(url, concurrency, seconds)
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def turn(sender: str, text: str) -> None:
        body = json.dumps({"sender": sender, "message": text}).encode()
        request = urllib.request.Request(endpoint, data=body, headers={"Content-Type": "application/json"})
        started = time.perf_counter()
        problem, wrong = None, False
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                messages = json.loads(response.read() or b"[]")
            answer = "\n".join(m.get("text", "") for m in messages)
            if not answer:
                problem = f"{sender} '{text}': no answer"
            elif text in expect and expect[text] not in answer:
                wrong, problem = True, f"{sender} '{text}': '{expect[text]}' missing in: {answer[:200]}"
        except (urllib.error.URLError, OSError, ValueError) as exc:
            problem = f"{sender} '{text}': {exc.__class__.__name__}: {exc}"
        seconds_taken = time.perf_counter() - started
        with lock:
            report.turns += 1
            report.turns_per_sender[sender] = report.turns_per_sender.get(sender, 0) + 1
            report.latencies.append(seconds_taken)
            if problem:
                report.wrong += wrong
                report.errors += not wrong
                report.error_samples.append(problem)

    def worker(number: int) -> None:
        conversation = 0
        while time.monotonic() < stop_at:
            sender = f"{prefix}{number}-{conversation}"
            conversation += 1
            with lock:
                report.conversations += 1
            for text in script:
                if time.monotonic() >= stop_at:
                    break
                turn(sender, text)

    started = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + timeout * 2 + 30)
    report.elapsed = time.perf_counter() - started
    return report


def stored_user_turns(prefix: str) -> Dict[str, int]:
    """User turns per sender in the tracker store endpoints.yml configures (same environment as the servers)."""
    import warnings

    warnings.filterwarnings("ignore")  # Rasa's and SQLAlchemy's deprecation notes are not the report
    from sqlalchemy import func

    from bot.cli import tracker_store

    store = tracker_store()
    event = store.SQLEvent
    try:
        with store.session_scope() as session:
            rows = (session.query(event.sender_id, func.count()).filter(event.type_name == "user")
                    .filter(event.sender_id.like(prefix + "%")).group_by(event.sender_id).all())
        return dict(rows)
    finally:
        store.engine.dispose()


def main(argv: Optional[List[str]] = None) -> int:
    import os

    parser = argparse.ArgumentParser(prog="python -m bot.bench_load", description=__doc__.split("\n")[0])
    parser.add_argument("--url", help="a running bot (loopback); without it the bot is started on free ports")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--out", type=Path, default=RESULTS / "load.json")
    args = parser.parse_args(argv)

    servers = None
    prefix = f"load-{uuid.uuid4().hex[:8]}-"
    url = args.url
    tmp = None
    if url is None:
        from bot.serve import Servers, Settings
        from bot.bench_bot import free_port

        tmp = tempfile.TemporaryDirectory(prefix="bieb-load-")
        os.environ.setdefault("TRACKER_DIALECT", "sqlite")
        if os.environ["TRACKER_DIALECT"] == "sqlite":
            os.environ.setdefault("TRACKER_DB", str(Path(tmp.name) / "tracker.sqlite3"))
        settings = Settings(rasa_port=free_port(), action_port=free_port())
        servers = Servers(settings, log_dir=RESULTS / "load-logs")
        print(f"de bot start op {settings.rasa_url} (ongeveer een minuut)...", flush=True)
        try:
            servers.start(timeout=300)
        except (RuntimeError, SystemExit) as exc:
            servers.stop()
            print(f"starten mislukt: {exc}", file=sys.stderr)
            return 1
        url = settings.rasa_url
    try:
        report = run_load(url, args.concurrency, args.seconds, prefix=prefix)
    finally:
        if servers is not None:
            servers.stop()
    result = report.as_dict()
    print(report.summary())
    if servers is not None:  # our own tracker store: every turn sent must be stored
        stored = stored_user_turns(prefix)
        result["stored_user_turns"] = sum(stored.values())
        print(f"opgeslagen gebruikersbeurten: {result['stored_user_turns']} (verstuurd: {report.turns})")
    if tmp is not None:
        tmp.cleanup()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    ok = report.errors == 0 and report.wrong == 0 and result.get("stored_user_turns", report.turns) == report.turns
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
