"""Starting and stopping the bot's servers: the action server, the Rasa server (REST + socket.io) and,
when asked (`make run`), the web server with the chat widget and the staff page (bot/web/server.py).

Used by `make run`, the end-to-end test, the benchmarks and `python -m bot ask`. Ports and addresses
come from the environment. Conversations go to the tracker store and locks to the lock store named in
endpoints.yml; `endpoints_env` gives their variables defaults (SQLite in var/tracker.sqlite3, in-memory
locks), so one machine needs no settings and a cluster sets only environment variables
(docs/deployment.md).

The Rasa HTTP API stays off unless `RASA_ENABLE_API=1`, and then only with `RASA_API_TOKEN` or
`RASA_JWT_SECRET` (bot/rasa_server.py refuses it otherwise). The action server is started only when the
knowledge base can be read; otherwise start-up stops at once and says to run `make kb`.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional

from knowledge.db import ROOT

DEFAULT_MODEL = ROOT / "models" / "bieb.tar.gz"


@dataclass
class Settings:
    host: str = field(default_factory=lambda: os.environ.get("BOT_HOST", "127.0.0.1"))
    rasa_port: int = field(default_factory=lambda: int(os.environ.get("RASA_PORT", "5005")))
    action_host: str = field(default_factory=lambda: os.environ.get("ACTION_HOST", "127.0.0.1"))
    action_port: int = field(default_factory=lambda: int(os.environ.get("ACTION_PORT", "5055")))
    web_port: int = field(default_factory=lambda: int(os.environ.get("WEB_PORT", "8080")))
    cors: str = field(default_factory=lambda: os.environ.get("CORS_ORIGINS", ""))
    model: Path = field(default_factory=lambda: Path(os.environ.get("RASA_MODEL", str(DEFAULT_MODEL))))
    #: The Rasa HTTP API (model, tracker and training endpoints): off unless asked, and never without a token/JWT.
    enable_api: bool = field(default_factory=lambda: os.environ.get("RASA_ENABLE_API", "").lower() in ("1", "true", "yes"))
    api_token: str = field(default_factory=lambda: os.environ.get("RASA_API_TOKEN", ""))
    jwt_secret: str = field(default_factory=lambda: os.environ.get("RASA_JWT_SECRET", ""))

    @property
    def rasa_url(self) -> str:
        return f"http://{self.host}:{self.rasa_port}"

    @property
    def action_url(self) -> str:
        return f"http://{self.action_host}:{self.action_port}/webhook"

    @property
    def cors_origins(self) -> List[str]:
        return self.cors.split() if self.cors else [f"http://127.0.0.1:{self.web_port}", f"http://localhost:{self.web_port}"]


def _bin(name: str) -> str:
    return str(Path(sys.executable).with_name(name))


DEFAULT_TRACKER_DB = ROOT / "var" / "tracker.sqlite3"


def endpoints_env(env: Dict[str, str]) -> Dict[str, str]:
    """Defaults for every variable in endpoints.yml (Rasa stops on an unset one): tracker store, lock store, actions.

    A variable that is set, even to an empty string, is kept. SQLite's folder is created.
    """
    env.setdefault("ACTION_SERVER_URL", Settings().action_url)
    dialect = env.setdefault("TRACKER_DIALECT", "sqlite")
    env.setdefault("TRACKER_DB", str(DEFAULT_TRACKER_DB) if dialect == "sqlite" else "rasa")
    for name in ("TRACKER_HOST", "TRACKER_PORT", "TRACKER_USER", "TRACKER_PASSWORD", "REDIS_PASSWORD"):
        env.setdefault(name, "")
    env.setdefault("LOCK_STORE_TYPE", "in_memory")
    env.setdefault("REDIS_HOST", "127.0.0.1")
    env.setdefault("REDIS_PORT", "6379")
    env.setdefault("REDIS_DB", "1")
    if dialect == "sqlite" and env["TRACKER_DB"]:
        Path(env["TRACKER_DB"]).parent.mkdir(parents=True, exist_ok=True)
    return env


def _env(settings: Settings, extra: Optional[Dict[str, str]] = None) -> Dict[str, str]:
    env = dict(os.environ)
    env.update(extra or {})
    env.update(TF_CPP_MIN_LOG_LEVEL="3", PYTHONWARNINGS="ignore", ACTION_SERVER_URL=settings.action_url,
               PYTHONPATH=str(ROOT) + os.pathsep + env.get("PYTHONPATH", ""))
    env.setdefault("MAX_MESSAGE_CHARS", "1000")
    # Sanic (under Rasa) refuses larger request bodies itself; the edge (nginx) refuses them earlier.
    env.setdefault("SANIC_REQUEST_MAX_SIZE", "1000000")
    if settings.api_token:
        env["RASA_API_TOKEN"] = settings.api_token
    if settings.jwt_secret:
        env["RASA_JWT_SECRET"] = settings.jwt_secret
    return endpoints_env(env)


def check_kb(env: Optional[Dict[str, str]] = None) -> Dict[str, int]:
    """Fail fast when the action server would have no knowledge base: raises KnowledgeBaseMissing (says `make kb`)."""
    from knowledge.query import KnowledgeBase

    url = (env if env is not None else os.environ).get("DATABASE_URL") or None
    kb = KnowledgeBase(url)
    try:
        return kb.check()
    finally:
        kb.db.dispose()


def get(url: str, timeout: float = 2.0) -> Optional[bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.read()
    except (urllib.error.URLError, OSError):
        return None


def ask(settings: Settings, sender: str, text: str, timeout: float = 30.0) -> List[dict]:
    """One turn through the REST channel: the bot's messages for this sender."""
    body = json.dumps({"sender": sender, "message": text}).encode()
    request = urllib.request.Request(f"{settings.rasa_url}/webhooks/rest/webhook", data=body,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read() or b"[]")


def stop_process(proc: Optional[subprocess.Popen], sig: int = signal.SIGTERM) -> None:
    """Stop a child started in its own session, and everything it started; kill it if it hangs."""
    if proc is None or proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, sig)
        proc.wait(timeout=20)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(timeout=10)


class Servers:
    """The action server and the Rasa server (and with `web=True` the web server) as child processes; stopped together."""

    def __init__(self, settings: Optional[Settings] = None, log_dir: Optional[Path] = None, model: Optional[Path] = None,
                 web: bool = False, env: Optional[Dict[str, str]] = None):
        self.settings = settings or Settings()
        self.model = model or self.settings.model
        self.web = web
        self.env = dict(env or {})  # on top of os.environ, for these servers only
        self.log_dir = log_dir or ROOT / "var" / "log"
        self.processes: Dict[str, subprocess.Popen] = {}

    def _spawn(self, name: str, args: List[str], env: Optional[Dict[str, str]] = None) -> subprocess.Popen:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log = open(self.log_dir / f"{name}.log", "ab")
        proc = subprocess.Popen(args, cwd=ROOT, env={**_env(self.settings, self.env), **(env or {})}, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
        self.processes[name] = proc
        return proc

    def start_actions(self) -> None:
        s = self.settings
        check_kb(_env(s, self.env))  # no KB: stop here with "make kb", not a server that fails every question
        # rasa-sdk 3.6 binds SANIC_HOST (default all interfaces): here only ACTION_HOST (loopback by default).
        # It has no authentication: in production it stays on an internal network (docs/deployment.md).
        self._spawn("actions", [_bin("rasa"), "run", "actions", "--actions", "actions", "--port", str(s.action_port)],
                    env={"SANIC_HOST": s.action_host})

    def start_rasa(self) -> None:
        s = self.settings
        if not self.model.exists():
            raise SystemExit(f"Geen model gevonden ({self.model}). Train eerst: make train")
        args = [sys.executable, "-m", "bot.rasa_server", "run", "--model", str(self.model), "--port", str(s.rasa_port), "--interface", s.host,
                "--credentials", "credentials.yml", "--endpoints", "endpoints.yml", "--cors", *s.cors_origins]
        if s.enable_api:
            if not (s.api_token or s.jwt_secret):
                raise SystemExit("RASA_ENABLE_API staat aan, maar zonder RASA_API_TOKEN of RASA_JWT_SECRET. "
                                 "De HTTP-API gaat nooit open zonder beveiliging.")
            args.append("--enable-api")  # bot.rasa_server adds the token/secret from the environment
        self._spawn("rasa", args)

    def start_web(self) -> None:
        s = self.settings
        public = os.environ.get("RASA_PUBLIC_URL") or s.rasa_url
        self._spawn("web", [sys.executable, "-m", "bot.web.server", "--host", s.host, "--port", str(s.web_port),
                            "--rasa-url", public, "--cors", *s.cors_origins])

    def start(self, timeout: float = 240.0) -> "Servers":
        self.start_actions()
        self.start_rasa()
        if self.web:
            self.start_web()
        self.wait(timeout)
        return self

    def wait(self, timeout: float = 240.0) -> None:
        deadline = time.monotonic() + timeout
        s = self.settings
        checks = {"actions": f"http://{s.action_host}:{s.action_port}/health", "rasa": f"{s.rasa_url}/",
                  "web": f"http://{s.host}:{s.web_port}/health"}
        pending = {k: v for k, v in checks.items() if k in self.processes}
        while pending and time.monotonic() < deadline:
            for name in list(pending):
                proc = self.processes[name]
                if proc.poll() is not None:
                    raise RuntimeError(f"{name} stopte (exit {proc.returncode}); zie {self.log_dir / (name + '.log')}")
                # Rasa loads its model before it listens, so an answer on / means it is ready.
                if get(pending[name]) is not None:
                    del pending[name]
            time.sleep(0.5)
        if pending:
            raise RuntimeError(f"niet op tijd gestart: {', '.join(pending)}; zie {self.log_dir}")

    def stop(self, name: Optional[str] = None) -> None:
        for key in [name] if name else list(self.processes):
            stop_process(self.processes.pop(key, None))

    def __enter__(self) -> "Servers":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def check_kb_main() -> int:
    """`python -m bot.serve --check-kb`: only check the KB (a Kubernetes init container); exit 2 with `make kb` if missing."""
    try:
        counts = check_kb()
    except RuntimeError as exc:  # KnowledgeBaseMissing: the message says what to run
        print(exc, file=sys.stderr)
        return 2
    print("kennisbank in orde:", ", ".join(f"{k}={v}" for k, v in sorted(counts.items())))
    return 0


def main() -> int:
    """`make run`: start the servers, print where to talk to the bot, stop them all on Ctrl-C (or SIGTERM)."""
    if "--check-kb" in sys.argv[1:]:
        return check_kb_main()

    def stop_on_term(*_):
        raise KeyboardInterrupt  # a service manager's stop means the same as Ctrl-C: stop every child

    signal.signal(signal.SIGTERM, stop_on_term)
    servers = Servers(web=True)
    s = servers.settings
    print(f"Bieb-assistent start (actieserver :{s.action_port}, Rasa :{s.rasa_port}, web :{s.web_port}). "
          f"Dit duurt ongeveer een minuut...")
    try:
        servers.start()
    except (RuntimeError, SystemExit, KeyboardInterrupt) as exc:
        servers.stop()
        print(f"Starten mislukt: {exc or 'gestopt'}", file=sys.stderr)
        return 1
    web = f"http://{s.host}:{s.web_port}"
    print(f"\nKlaar. Praat met de bot:\n"
          f"  web:       {web}/  (de chat-widget; opzoeken voor medewerkers: {web}/staff)\n"
          f"  terminal:  .venv/bin/python -m bot ask \"wat is boekstart\"\n"
          f"  HTTP:      curl -s {s.rasa_url}/webhooks/rest/webhook -d '{{\"sender\":\"ik\",\"message\":\"hoi\"}}'\n"
          f"  socket.io: {s.rasa_url}/socket.io\n"
          f"Stoppen: Ctrl-C\n")
    try:
        while all(p.poll() is None for p in servers.processes.values()):
            time.sleep(1)
        print("Een server is gestopt; zie var/log/.", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nStoppen...")
        return 0
    finally:
        servers.stop()


if __name__ == "__main__":
    sys.exit(main())
