"""Scale-out, for real: two Rasa servers and two action servers behind nginx, one PostgreSQL, one Redis.

Consecutive turns of one conversation land on different Rasa servers (nginx round-robin, seen in the
X-Upstream header), so context survives only through the shared tracker store and lock store.
Run with `make test-integration` (`make integration-deps` installs PostgreSQL, Redis and nginx).
"""
from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter, defaultdict

import pytest

from bot.bench_load import RESULTS, LoadReport, run_load
from bot.privacy import mask
from tests.integration.cluster import Cluster

pytestmark = pytest.mark.integration

BSN = "111222333"

#: The desk in Drachten as knowledge/data/ido_locations.csv has it: town and branch name. "Drachten" alone would also
#: match "De plaats 'Drachten' ken ik niet".
DRACHTEN = "In Drachten is een IDO: Bibliotheek Drachten."
#: Conversation scripts: (what the user says, what the answer must contain).
SCRIPTS = {
    "jeugdpakket": [("Wat is het jeugdpakket?", "Jeugdpakket"), ("hoeveel gaat via het gemeentefonds?", "40 miljoen"),
                    ("tot wanneer loopt het?", "Jeugdpakket"), ("wat is boekstart", "BoekStart")],
    "ido": [("ik zoek een IDO", "In welke plaats"), ("Drachten", DRACHTEN),
            ("wat is het jeugdpakket", "Jeugdpakket"), ("hoeveel gaat via het gemeentefonds?", "40 miljoen")],
    "bsn": [(f"mijn bsn is {BSN}, ik kom niet in mijn digid", "IDO"), ("hoeveel e-books", "28.000"),
            ("ik zoek een IDO", "In welke plaats"), ("Drachten", DRACHTEN)],
}
CONVERSATIONS = 21  # odd: strict round-robin then sends each conversation's next turn to the other server
TURNS = 4


def user_events(cluster: Cluster, prefix: str) -> dict:
    with cluster.postgres.connect("tracker") as conn, conn.cursor() as cur:
        cur.execute("select sender_id, count(*) from events where type_name = 'user' and sender_id like %s group by sender_id",
                    (prefix + "%",))
        return dict(cur.fetchall())


def test_conversations_keep_their_context_across_servers(cluster: Cluster):
    run = uuid.uuid4().hex[:8]
    conversations = [(f"conv-{run}-{i:02d}", list(SCRIPTS)[i % len(SCRIPTS)]) for i in range(CONVERSATIONS)]
    upstreams = defaultdict(list)
    failures = []
    for turn in range(TURNS):  # interleaved: turn 1 of every conversation, then turn 2, ...
        for sender, script in conversations:
            question, expected = SCRIPTS[script][turn]
            reply = cluster.send(sender, question)
            upstreams[sender].append(reply.upstream)
            if reply.status != 200 or not reply.text:
                failures.append(f"{sender} turn {turn + 1} '{question}': status {reply.status}, no answer")
            elif expected not in reply.text:
                failures.append(f"{sender} turn {turn + 1} '{question}': expected '{expected}' in: {reply.text[:300]}")
    assert not failures, "\n".join(failures) + "\n" + cluster.logs()

    servers = set(cluster.rasa_upstreams)
    assert {u for seen in upstreams.values() for u in seen} == servers, upstreams
    for sender, seen in upstreams.items():
        assert all(a != b for a, b in zip(seen, seen[1:])), f"{sender}: consecutive turns on the same server: {seen}"

    stored = user_events(cluster, f"conv-{run}-")
    assert stored == {sender: TURNS for sender, _ in conversations}

    with cluster.postgres.connect("tracker") as conn, conn.cursor() as cur:
        cur.execute("select count(*) from events where data like %s", (f"%{BSN}%",))
        assert cur.fetchone()[0] == 0, "the BSN reached the tracker store"
        cur.execute("select sender_id, data from events where type_name = 'user' and sender_id like %s order by id",
                    (f"conv-{run}-%",))
        texts = defaultdict(list)
        for sender, data in cur.fetchall():
            texts[sender].append(json.loads(data)["text"])
    # Every turn stored in order, from whichever server took it, masked and otherwise unchanged.
    assert texts == {sender: [mask(q) for q, _ in SCRIPTS[script]] for sender, script in conversations}
    assert sum(t.count("[BSN]") for seen in texts.values() for t in seen) == sum(s == "bsn" for _, s in conversations)


def test_both_action_servers_answer_through_the_internal_balancer(cluster: Cluster):
    calls = Counter()
    for line in (cluster.nginx.dir / "access.log").read_text().splitlines():
        if '"POST /webhook HTTP' in line and "upstream=" in line:
            calls[line.split("upstream=")[1].split()[0]] += 1
    actions = {f"127.0.0.1:{b.settings.action_port}" for b in cluster.bots if "actions" in b.processes}
    assert set(calls) == actions, calls


def test_the_edge_refuses_big_bodies_too_many_requests_and_the_api(cluster: Cluster):
    sender = f"edge-{uuid.uuid4().hex[:8]}"
    too_big = cluster.send(sender, "x" * 4000, port=cluster.nginx.strict)
    assert too_big.status == 413 and not too_big.upstream  # refused at the edge: no Rasa server saw it
    statuses = [cluster.send(sender, "hallo", port=cluster.nginx.strict).status for _ in range(8)]
    assert statuses[0] == 200 and 429 in statuses, statuses  # burst 2 at 1 request/s per client
    for path in ("/status", "/model", "/conversations/x/tracker", "/"):
        try:
            urllib.request.urlopen(f"{cluster.nginx.url}{path}", timeout=10)
            raise AssertionError(f"{path} is reachable through the edge")
        except urllib.error.HTTPError as err:
            assert err.code == 404, (path, err.code)


def test_rebuilding_the_kb_in_postgresql_while_serving(cluster: Cluster, empty_local, tmp_path):
    """Builds alternate between two data sets (another build id each time, so every action server reloads its
    snapshot) while conversations go through the edge: every answer must be the complete, correct one."""
    from knowledge import builder

    other = tmp_path / "local"
    other.mkdir()
    (other / "places_test.csv").write_text("name,municipality,province,lat,lon,source,aliases\n"
                                           "Testdorp,Testgemeente,Utrecht,52.1,5.1,test: alleen voor deze test,\n")
    scripts = [SCRIPTS["jeugdpakket"], SCRIPTS["ido"][:2], [("hoeveel e-books", "28.000")]]

    def play(script):
        sender = f"rebuild-{uuid.uuid4().hex[:8]}"
        return [cluster.send(sender, q) for q, _ in script]

    baseline = [[r.text for r in play(script)] for script in scripts]
    for script, texts in zip(scripts, baseline):
        assert all(expected in text for (_, expected), text in zip(script, texts)), texts

    stop, builds, errors = threading.Event(), [], []

    def rebuild():
        n = 0
        while not stop.is_set():
            try:
                builder.build(url=cluster.postgres.url("kb"), local=other if n % 2 == 0 else empty_local, force=True)
                builds.append(time.monotonic())
            except Exception as exc:
                errors.append(repr(exc))
                return
            n += 1

    thread = threading.Thread(target=rebuild, daemon=True)
    thread.start()
    problems, checked = [], 0
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not errors:
            for script, texts in zip(scripts, baseline):
                for (question, _), reply, text in zip(script, play(script), texts):
                    checked += 1
                    if reply.status != 200 or reply.text != text:
                        problems.append(f"'{question}' ({reply.status}, {reply.upstream}): {reply.text[:300]!r}")
    finally:
        stop.set()
        thread.join(120)
    builder.build(url=cluster.postgres.url("kb"), local=empty_local, force=True)  # leave the KB as the other tests found it
    print(f"\nKB rebuilt {len(builds)} times in PostgreSQL while {checked} answers were checked")
    assert not errors, errors
    assert not problems, f"{len(problems)} of {checked} answers differed during rebuilds:\n" + "\n".join(problems[:10])
    assert len(builds) >= 3, f"only {len(builds)} rebuilds"


def test_readers_load_whole_builds_while_postgresql_is_rebuilt(cluster: Cluster, empty_local, tmp_path):
    """Readers that load a snapshot while builds replace the rows: no reader may fail (DROP TABLE in the build
    used to deadlock with them) and every snapshot is one build whole (its build id matches its rows)."""
    from knowledge import builder
    from knowledge.query import KnowledgeBase

    url = cluster.postgres.url("kb")
    other = tmp_path / "local"
    other.mkdir()
    (other / "places_test.csv").write_text("name,municipality,province,lat,lon,source,aliases\n"
                                           "Testdorp,Testgemeente,Utrecht,52.1,5.1,test: alleen voor deze test,\n")
    ids = {builder.build(url=url, local=other, force=True).build_id: True,
           builder.build(url=url, local=empty_local, force=True).build_id: False}
    stop, problems, loads, builds = threading.Event(), [], [], []

    def rebuild():
        n = 0
        while not stop.is_set():
            try:
                builder.build(url=url, local=other if n % 2 == 0 else empty_local, force=True)
                builds.append(n)
            except Exception as exc:
                problems.append(f"bouw: {exc!r}"[:300])
            n += 1

    def read():
        while not stop.is_set():
            kb = KnowledgeBase(url)
            try:
                snap = kb._snap()
                has_test_place = "testdorp" in snap.places_by_norm
                if ids.get(snap.meta["build_id"]) is not has_test_place:
                    problems.append(f"gemengde bouw: {snap.meta['build_id']} met Testdorp={has_test_place}")
                loads.append(1)
            except Exception as exc:
                problems.append(f"lezen: {exc!r}"[:300])
            finally:
                kb.db.dispose()

    threads = [threading.Thread(target=rebuild, daemon=True)] + [threading.Thread(target=read, daemon=True) for _ in range(3)]
    for t in threads:
        t.start()
    time.sleep(20)
    stop.set()
    for t in threads:
        t.join(120)
    builder.build(url=url, local=empty_local, force=True)  # leave the KB as the other tests found it
    print(f"\n{len(loads)} snapshots loaded while the KB was rebuilt {len(builds)} times")
    assert len(builds) >= 3 and len(loads) >= 20
    assert not problems, "\n".join(problems[:10])


def test_bounded_load_through_the_edge(cluster: Cluster, capsys):
    prefix = f"load-{uuid.uuid4().hex[:8]}-"
    script = [q for q, _ in SCRIPTS["jeugdpakket"]] + [q for q, _ in SCRIPTS["ido"][:2]]
    report: LoadReport = run_load(cluster.nginx.url, concurrency=8, seconds=30, script=script, prefix=prefix,
                                  expect={"hoeveel gaat via het gemeentefonds?": "40 miljoen", "Drachten": DRACHTEN})
    with capsys.disabled():
        print("\n" + report.summary())
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "load-integration.json").write_text(json.dumps(report.as_dict(), indent=2))
    assert report.turns > 0 and report.errors == 0, report.summary() + "\n" + "\n".join(report.error_samples)
    assert report.wrong == 0, report.summary() + "\n" + "\n".join(report.error_samples)
    stored = user_events(cluster, prefix)
    assert sum(stored.values()) == report.turns, (sum(stored.values()), report.turns)
    assert stored == report.turns_per_sender
