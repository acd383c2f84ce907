"""A small production set-up on one machine, loopback only, for the scale-out tests.

    client ──► nginx :edge ──round-robin──► Rasa server 1 ─┐          ┌─► action server 1
                (X-Upstream header)      └► Rasa server 2 ─┼─► nginx :actions ─round-robin─┤
                                                           │                               └─► action server 2
               PostgreSQL (tracker store "tracker", KB "kb") ◄──── all four     Redis (lock store) ◄── Rasa servers

Every Rasa server sends its action calls to a second nginx listener that round-robins over both action
servers, so any Rasa server may reach any action server (as a Kubernetes Service would). Everything
lives in one temporary folder under /tmp (readable by the `postgres` user that runs PostgreSQL when the
tests run as root) and is stopped and removed afterwards (KEEP_CLUSTER=1 keeps the folder).
A server that cannot be started raises ClusterError with its log: the tests fail, never skip.
"""
from __future__ import annotations

import glob
import json
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from bot.serve import DEFAULT_MODEL, Servers, Settings, stop_process
from tests.ports import free_port as _free_port

LOOPBACK = "127.0.0.1"


class ClusterError(RuntimeError):
    pass


def wait_for_port(port: int, proc: Optional[subprocess.Popen], what: str, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise ClusterError(f"{what} stopte (exit {proc.returncode}):\n{tail(log)}")
        with socket.socket() as s:
            s.settimeout(0.5)
            if s.connect_ex((LOOPBACK, port)) == 0:
                return
        time.sleep(0.2)
    raise ClusterError(f"{what} luistert niet op {LOOPBACK}:{port} na {timeout:.0f} s:\n{tail(log)}")


def tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return f"(geen log: {path})"


def postgres_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if os.environ.get("PG_BIN"):
        return Path(os.environ["PG_BIN"])
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).resolve().parent
    raise ClusterError("PostgreSQL niet gevonden (initdb). Installeer het met: make integration-deps")


def need(binary: str) -> str:
    path = shutil.which(binary) or next((p for p in (f"/usr/sbin/{binary}", f"/usr/bin/{binary}") if os.path.exists(p)), None)
    if not path:
        raise ClusterError(f"{binary} niet gevonden. Installeer het met: make integration-deps")
    return path


def run(args: List[str], what: str, timeout: float = 120, **kwargs) -> subprocess.CompletedProcess:
    done = subprocess.run(args, capture_output=True, text=True, timeout=timeout, **kwargs)
    if done.returncode != 0:
        raise ClusterError(f"{what} mislukt (exit {done.returncode}): {' '.join(args)}\n{done.stdout}\n{done.stderr}")
    return done


# -- PostgreSQL -----------------------------------------------------------------------------------------
class Postgres:
    """initdb into a temporary folder, listen on 127.0.0.1:<free port> with the unix socket in the same folder.

    initdb refuses to run as root: then the server runs as the `postgres` user (the Debian package's), or a
    system user `pgtest` created for it.
    """

    def __init__(self, base: Path):
        self.dir = base / "postgres"
        self.data = self.dir / "data"
        self.log = self.dir / "postgres.log"
        self.port = _free_port(LOOPBACK)
        self.user = "bieb"
        self.password = secrets.token_hex(12)
        self.bin = postgres_bin()
        self.os_user: Optional[str] = None

    def _as_owner(self, args: List[str]) -> List[str]:
        return ["runuser", "-u", self.os_user, "--", *args] if self.os_user else args

    def start(self) -> "Postgres":
        self.dir.mkdir()
        if os.geteuid() == 0:
            self.os_user = self._system_user()
            info = pwd.getpwnam(self.os_user)
            os.chown(self.dir, info.pw_uid, info.pw_gid)
        pwfile = self.dir / "pw"
        pwfile.write_text(self.password + "\n")
        if self.os_user:
            info = pwd.getpwnam(self.os_user)
            os.chown(pwfile, info.pw_uid, info.pw_gid)
        pwfile.chmod(0o600)
        run(self._as_owner([str(self.bin / "initdb"), "-D", str(self.data), "-U", self.user, f"--pwfile={pwfile}",
                            "-A", "scram-sha-256", "-E", "UTF8", "--no-locale", "--no-sync"]), "initdb")
        pwfile.unlink()
        options = (f"-c listen_addresses={LOOPBACK} -p {self.port} -k {self.dir} -c max_connections=200 "
                   "-c fsync=off -c synchronous_commit=off -c full_page_writes=off")
        run(self._as_owner([str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60",
                            "-o", options, "start"]), f"PostgreSQL starten (zie {self.log})", timeout=90)
        wait_for_port(self.port, None, "PostgreSQL", self.log)
        import psycopg2

        conn = psycopg2.connect(host=LOOPBACK, port=self.port, user=self.user, password=self.password, dbname="postgres")
        conn.autocommit = True
        with conn.cursor() as cur:
            for db in ("tracker", "kb"):
                cur.execute(f"CREATE DATABASE {db}")
        conn.close()
        return self

    @staticmethod
    def _system_user() -> str:
        for name in ("postgres", "pgtest"):
            try:
                pwd.getpwnam(name)
                return name
            except KeyError:
                pass
        run(["useradd", "-r", "-M", "-s", "/usr/sbin/nologin", "pgtest"], "useradd pgtest")
        return "pgtest"

    def url(self, db: str) -> str:
        return f"postgresql://{self.user}:{self.password}@{LOOPBACK}:{self.port}/{db}"

    def connect(self, db: str):
        import psycopg2

        return psycopg2.connect(host=LOOPBACK, port=self.port, user=self.user, password=self.password, dbname=db)

    def stop(self) -> None:
        if self.data.exists():
            subprocess.run(self._as_owner([str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "-t", "60", "stop"]),
                           capture_output=True, timeout=90)


# -- Redis ----------------------------------------------------------------------------------------------
class Redis:
    def __init__(self, base: Path):
        self.dir = base / "redis"
        self.log = self.dir / "redis.log"
        self.port = _free_port(LOOPBACK)
        self.password = secrets.token_hex(12)
        self.proc: Optional[subprocess.Popen] = None

    def start(self) -> "Redis":
        self.dir.mkdir()
        self.proc = subprocess.Popen([need("redis-server"), "--port", str(self.port), "--bind", LOOPBACK, "--save", "",
                                      "--appendonly", "no", "--dir", str(self.dir), "--logfile", str(self.log),
                                      "--requirepass", self.password, "--daemonize", "no"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, start_new_session=True)
        wait_for_port(self.port, self.proc, "Redis", self.log)
        return self

    def client(self):
        import redis

        return redis.Redis(host=LOOPBACK, port=self.port, password=self.password, db=1, socket_timeout=5)

    def stop(self) -> None:
        stop_process(self.proc)


# -- nginx ----------------------------------------------------------------------------------------------
NGINX_CONF = """\
# Generated by tests/integration/cluster.py: loopback only. docs/deploy/nginx.conf is the production example.
worker_processes 1;
events {{ worker_connections 512; }}
http {{
    client_body_temp_path {dir}/tmp/body;
    proxy_temp_path {dir}/tmp/proxy;
    fastcgi_temp_path {dir}/tmp/fastcgi;
    uwsgi_temp_path {dir}/tmp/uwsgi;
    scgi_temp_path {dir}/tmp/scgi;
    log_format upstream '$remote_addr "$request" $status upstream=$upstream_addr t=$request_time';
    access_log {dir}/access.log upstream;
    server_tokens off;

    # Per client (address): a generous limit for the edge the tests load, a strict one to prove it bites.
    limit_req_zone $binary_remote_addr zone=per_client:1m rate={rate}r/s;
    limit_req_zone $binary_remote_addr zone=strict:1m rate=1r/s;
    limit_req_status 429;

    upstream rasa {{
        server {LOOPBACK}:{rasa1};
        server {LOOPBACK}:{rasa2};
    }}
    upstream actions {{
        server {LOOPBACK}:{action1};
        server {LOOPBACK}:{action2};
    }}

    # The edge: only the REST webhook (and socket.io) reach Rasa; the HTTP API never does.
    server {{
        listen {LOOPBACK}:{edge};
        client_max_body_size 16k;
        location = /webhooks/rest/webhook {{
            limit_req zone=per_client burst={burst} nodelay;
            proxy_pass http://rasa;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            add_header X-Upstream $upstream_addr always;
        }}
        location / {{ return 404; }}
    }}

    # The same edge with a strict rate and a small body limit, to prove both refuse.
    server {{
        listen {LOOPBACK}:{strict};
        client_max_body_size 2k;
        location = /webhooks/rest/webhook {{
            limit_req zone=strict burst=2 nodelay;
            proxy_pass http://rasa;
            add_header X-Upstream $upstream_addr always;
        }}
        location / {{ return 404; }}
    }}

    # Internal: the Rasa servers' ACTION_SERVER_URL; round-robin over the action servers.
    server {{
        listen {LOOPBACK}:{actions};
        client_max_body_size 4m;
        location / {{
            proxy_pass http://actions;
            proxy_next_upstream error timeout;
        }}
    }}
}}
"""


class Nginx:
    def __init__(self, base: Path, rasa_ports: Tuple[int, int], action_ports: Tuple[int, int], rate: int = 500):
        self.dir = base / "nginx"
        self.edge, self.strict, self.actions = _free_port(LOOPBACK), _free_port(LOOPBACK), _free_port(LOOPBACK)
        self.rasa_ports, self.action_ports, self.rate = rasa_ports, action_ports, rate
        self.conf = self.dir / "nginx.conf"
        self.error_log = self.dir / "error.log"
        self.proc: Optional[subprocess.Popen] = None

    def write(self) -> None:
        (self.dir / "tmp").mkdir(parents=True)
        self.dir.chmod(0o755)
        self.conf.write_text(NGINX_CONF.format(
            dir=self.dir, LOOPBACK=LOOPBACK, rate=self.rate, burst=self.rate * 2, edge=self.edge, strict=self.strict,
            actions=self.actions, rasa1=self.rasa_ports[0], rasa2=self.rasa_ports[1],
            action1=self.action_ports[0], action2=self.action_ports[1]))

    def start(self) -> "Nginx":
        self.write()
        nginx = need("nginx")
        args = [nginx, "-p", f"{self.dir}/", "-e", str(self.error_log), "-c", str(self.conf)]
        run([*args, "-t", "-g", f"pid {self.dir}/nginx.pid;"], "nginx -t")
        self.proc = subprocess.Popen([*args, "-g", f"daemon off; pid {self.dir}/nginx.pid;"],
                                     stdout=subprocess.DEVNULL, stderr=open(self.dir / "stderr.log", "wb"),
                                     start_new_session=True)
        for port in (self.edge, self.strict, self.actions):
            wait_for_port(port, self.proc, "nginx", self.error_log)
        return self

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.edge}"

    def stop(self) -> None:
        stop_process(self.proc, signal.SIGQUIT)


# -- the whole set-up -------------------------------------------------------------------------------------
@dataclass
class Reply:
    status: int
    messages: list
    upstream: str
    seconds: float

    @property
    def text(self) -> str:
        return "\n".join(m.get("text", "") for m in self.messages)


@dataclass
class Cluster:
    base: Path
    postgres: Postgres
    redis: Redis
    nginx: Nginx
    bots: List[Servers] = field(default_factory=list)

    @property
    def rasa_upstreams(self) -> List[str]:
        return [f"{LOOPBACK}:{b.settings.rasa_port}" for b in self.bots if "rasa" in b.processes]

    def send(self, sender: str, text: str, port: Optional[int] = None, timeout: float = 60) -> Reply:
        body = json.dumps({"sender": sender, "message": text}).encode()
        request = urllib.request.Request(f"http://{LOOPBACK}:{port or self.nginx.edge}/webhooks/rest/webhook", data=body,
                                         headers={"Content-Type": "application/json"})
        started = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return Reply(response.status, json.loads(response.read() or b"[]"), response.headers.get("X-Upstream", ""),
                             time.perf_counter() - started)
        except urllib.error.HTTPError as err:
            return Reply(err.code, [], err.headers.get("X-Upstream", ""), time.perf_counter() - started)

    def logs(self) -> str:
        parts = []
        for path in sorted(self.base.rglob("*.log")):
            parts.append(f"--- {path.relative_to(self.base)}\n{tail(path, 15)}")
        return "\n".join(parts)

    def stop(self) -> None:
        for bot in self.bots:
            bot.stop()
        self.nginx.stop()
        self.redis.stop()
        self.postgres.stop()
        if not os.environ.get("KEEP_CLUSTER"):
            shutil.rmtree(self.base, ignore_errors=True)


def start_cluster(local_dir: Path, model: Path = DEFAULT_MODEL, timeout: float = 420) -> Cluster:
    """PostgreSQL, Redis, the KB built into PostgreSQL, nginx, two action servers and two Rasa servers."""
    from knowledge import builder

    if not model.exists():
        raise ClusterError(f"geen getraind model ({model}): make train")
    base = Path(tempfile.mkdtemp(prefix="bieb-scale-", dir="/tmp"))
    base.chmod(0o755)
    postgres, redis = Postgres(base), Redis(base)
    rasa_ports, action_ports = (_free_port(LOOPBACK), _free_port(LOOPBACK)), (_free_port(LOOPBACK), _free_port(LOOPBACK))
    nginx = Nginx(base, rasa_ports, action_ports)
    cluster = Cluster(base, postgres, redis, nginx)
    try:
        postgres.start()
        redis.start()
        builder.build(url=postgres.url("kb"), local=local_dir, force=True)
        nginx.start()
        shutil.copy(model, base / "bieb.tar.gz")  # a retrain elsewhere cannot change the model under the test
        env: Dict[str, str] = {
            "DATABASE_URL": postgres.url("kb"),
            "TRACKER_DIALECT": "postgresql", "TRACKER_HOST": LOOPBACK, "TRACKER_PORT": str(postgres.port),
            "TRACKER_DB": "tracker", "TRACKER_USER": postgres.user, "TRACKER_PASSWORD": postgres.password,
            "SQL_POOL_SIZE": "10", "SQL_MAX_OVERFLOW": "20",
            "LOCK_STORE_TYPE": "redis", "REDIS_HOST": LOOPBACK, "REDIS_PORT": str(redis.port),
            "REDIS_PASSWORD": redis.password, "REDIS_DB": "1",
            "FEEDBACK_DATABASE_URL": f"sqlite:///{base / 'feedback.sqlite3'}",
            "KB_REFRESH_SECONDS": "1",  # action servers look for a new KB build every second (default 5)
        }
        for i in range(2):
            actions = Servers(Settings(action_port=action_ports[i]), log_dir=base / f"bot{i + 1}", env=env)
            actions.start_actions()
            cluster.bots.append(actions)
        for i in range(2):
            # Every Rasa server calls its actions through nginx's internal listener (round-robin over both).
            rasa = Servers(Settings(rasa_port=rasa_ports[i], action_port=nginx.actions), log_dir=base / f"bot{i + 1}",
                           model=base / "bieb.tar.gz", env=env)
            rasa.start_rasa()
            cluster.bots.append(rasa)
        deadline = time.monotonic() + timeout
        for bot in cluster.bots:
            bot.wait(max(10.0, deadline - time.monotonic()))
        return cluster
    except Exception as exc:
        logs = cluster.logs()
        cluster.stop()
        raise ClusterError(f"de opstelling start niet: {exc}\n{logs}") from exc
