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

Before anything starts, `Servers.start` checks the settings: every port must be free (a busy one is named
with the program that holds it) and `CORS_ORIGINS` must be a list of origins (`scheme://host[:port]`,
separated by commas or spaces). Stopping: each child runs in its own session (its own process group), so
a Ctrl-C or a SIGTERM to the group of `make run` reaches only `make` and this process; this process then
stops every child (SIGTERM to its group, SIGKILL after 20 s). Stopping cannot be broken off: a second
signal while it runs (GNU make passes its SIGTERM on, so there always is one) is held and changes
nothing. On Linux each child also gets SIGKILL from the kernel when this process dies in any way, even by
SIGKILL (`PR_SET_PDEATHSIG`), so no server outlives it holding its port.
"""
from __future__ import annotations

import contextlib
import ctypes
import errno
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, Iterator, List, Optional, Sequence, Tuple

from knowledge.db import ROOT

DEFAULT_MODEL = ROOT / "models" / "bieb.tar.gz"
DEFAULT_LOG_DIR = ROOT / "var" / "log"


class SettingsError(RuntimeError, ValueError):
    """A setting from the environment that cannot work (a port, CORS_ORIGINS). The message says what to change.

    A RuntimeError, so every caller that reports a failed start (`make run`, `bot ask`, the benchmarks) reports
    this one the same way; and a ValueError, because it is a wrong value.
    """


def _number(text: str) -> int:
    return int(text) if re.fullmatch(r"[0-9]{1,5}", text) else 0


def _port(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    port = _number(raw)
    if not 0 < port < 65536:
        raise SettingsError(f"{name}={raw!r} is geen poort. Kies een getal van 1 tot en met 65535, "
                            f"bijvoorbeeld {name}={default}.")
    return port


ORIGIN_HELP = ("Een origin is http:// of https://, dan de naam van de server en eventueel een poort. "
               "Zonder pad en zonder / aan het eind. Bijvoorbeeld: https://www.bibliotheek.nl of http://localhost:8080. "
               "Meer origins? Zet er een komma of een spatie tussen.")
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_HOSTNAME = re.compile(rf"{_LABEL}(?:\.{_LABEL})*\Z")
_DEFAULT_PORTS = {"http": 80, "https": 443}


def parse_origin(text: str) -> str:
    """One origin from CORS_ORIGINS, checked and written as the browser sends it (lower case, no default port).

    Browsers send `Origin: scheme://host[:port]`, and Rasa and the web server compare it with these strings, so
    anything else (a path, a / at the end, `*`) would refuse every browser without a word: refused here, at start.
    """
    if text == "*":
        raise SettingsError("CORS_ORIGINS='*' mag niet: dan mag elke website met de bot praten en feedback sturen. "
                            "Noem de websites waarop de chat staat. " + ORIGIN_HELP)

    def refuse(why: str) -> None:
        raise SettingsError(f"CORS_ORIGINS klopt niet: {text!r} {why} {ORIGIN_HELP}")

    scheme, sep, rest = text.partition("://")
    scheme = scheme.lower()
    if not sep or scheme not in _DEFAULT_PORTS:
        refuse("begint niet met http:// of https://.")
    netloc = re.split(r"[/?#]", rest, maxsplit=1)[0]
    if "@" in netloc:
        refuse("heeft een gebruikersnaam of wachtwoord (met @). Dat hoort niet in een origin.")
    if netloc.startswith("["):
        refuse("is een IPv6-adres. Gebruik een naam of een IPv4-adres.")
    host, colon, port_text = netloc.partition(":")
    host = host.lower()
    if not _HOSTNAME.match(host):
        refuse("heeft geen geldige naam voor de server.")
    port = _number(port_text)
    if colon and not 0 < port < 65536:
        refuse("heeft een poort die geen getal van 1 tot en met 65535 is.")
    origin = f"{scheme}://{host}:{port}" if colon and port != _DEFAULT_PORTS[scheme] else f"{scheme}://{host}"
    if rest == netloc + "/":
        refuse(f"eindigt op een /. Laat die weg: '{origin}'.")
    if rest != netloc:
        refuse(f"heeft een pad of iets anders na de naam. Laat dat weg: '{origin}'.")
    return origin


def parse_origins(value: str) -> List[str]:
    """CORS_ORIGINS: origins separated by commas and/or spaces; each one checked (parse_origin), doubles once."""
    origins: List[str] = []
    for item in re.split(r"[\s,]+", value):
        if item:
            origin = parse_origin(item)
            if origin not in origins:
                origins.append(origin)
    return origins


@dataclass
class Settings:
    host: str = field(default_factory=lambda: os.environ.get("BOT_HOST", "127.0.0.1"))
    rasa_port: int = field(default_factory=lambda: _port("RASA_PORT", 5005))
    action_host: str = field(default_factory=lambda: os.environ.get("ACTION_HOST", "127.0.0.1"))
    action_port: int = field(default_factory=lambda: _port("ACTION_PORT", 5055))
    web_port: int = field(default_factory=lambda: _port("WEB_PORT", 8080))
    #: CORS_ORIGINS: the web pages (origins) that may talk to the bot, separated by commas or spaces (parse_origins).
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
        """The allowed origins; raises SettingsError (in Dutch, with the fix) for a malformed CORS_ORIGINS."""
        return parse_origins(self.cors) or [f"http://127.0.0.1:{self.web_port}", f"http://localhost:{self.web_port}"]


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


#: The signals that mean "stop": Ctrl-C, a service manager's or `kill`'s stop, a terminal that closes.
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


@contextlib.contextmanager
def signals_held() -> Iterator[None]:
    """Hold STOP_SIGNALS while the block runs (starting or stopping children) and deliver them after it.

    So a Ctrl-C or SIGTERM cannot break off a stop halfway (leaving servers running) or land between starting
    a child and noting it. Signal handlers belong to the main thread; elsewhere the block just runs.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: List[int] = []
    previous = {}
    for sig in STOP_SIGNALS:
        if signal.getsignal(sig) is not None:  # None: a handler set outside Python, which cannot be put back
            previous[sig] = signal.signal(sig, lambda signum, frame: caught.append(signum))
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        for sig in dict.fromkeys(caught):
            signal.raise_signal(sig)  # now the handler from before decides (KeyboardInterrupt, exit, nothing)


PR_SET_PDEATHSIG = 1


def _die_with_parent() -> Optional[Callable[[], None]]:
    """A `preexec_fn` that has the kernel SIGKILL the child when this process dies, however it dies (Linux).

    `prctl(PR_SET_PDEATHSIG)` stays set across exec; it fires when the thread that started the child ends, so
    children are started from the main thread (they are). The function is looked up here, in the parent, so the
    child only makes one call between fork and exec. Elsewhere than Linux: None (stop() still stops them).
    """
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
    prctl.restype = ctypes.c_int
    parent = os.getpid()

    def set_death_signal() -> None:
        prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent:  # the parent died before the call: nobody would send the signal
            os._exit(1)

    return set_death_signal


def _signal_group(proc: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(proc.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def stop_processes(procs: Sequence[Optional[subprocess.Popen]], sig: int = signal.SIGTERM, timeout: float = 20.0) -> None:
    """Stop children started in their own session, and everything they started: `sig` to all of them at once,
    SIGKILL to the ones still running after `timeout` seconds."""
    running = [p for p in procs if p is not None and p.poll() is None]
    for proc in running:
        _signal_group(proc, sig)
    deadline = time.monotonic() + timeout
    for proc in running:
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            pass
    for proc in running:
        if proc.poll() is None:
            _signal_group(proc, signal.SIGKILL)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass  # stuck in the kernel: nothing more to do


def stop_process(proc: Optional[subprocess.Popen], sig: int = signal.SIGTERM) -> None:
    """Stop a child started in its own session, and everything it started; kill it if it hangs."""
    stop_processes([proc], sig)


# -- ports ------------------------------------------------------------------------------------------------
PORT_VARIABLES = {"actions": "ACTION_PORT", "rasa": "RASA_PORT", "web": "WEB_PORT"}
SERVER_NAMES = {"actions": "de actieserver", "rasa": "de Rasa-server", "web": "de webserver"}
_OUR_SERVERS = ("bot.rasa_server", "rasa run actions", "bot.web.server", "bot.serve")


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _socket_inodes(port: int) -> List[str]:
    """Inodes of the TCP sockets on this local port (/proc/net/tcp, tcp6): the listening ones, else any other."""
    listening, other = [], []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) < 10 or fields[9] == "0":  # inode 0: no owner (TIME_WAIT)
                continue
            try:
                local_port = int(fields[1].rsplit(":", 1)[1], 16)
            except (IndexError, ValueError):
                continue
            if local_port == port:
                (listening if fields[3] == "0A" else other).append(fields[9])  # 0A: LISTEN
    return listening or other


def _command(pid: int, limit: int = 120) -> str:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return "?"
    command = " ".join(raw.replace(b"\0", b" ").decode(errors="replace").split()) or "?"
    return command if len(command) <= limit else command[:limit - 1] + "…"


def port_holders(port: int) -> List[Tuple[int, str]]:
    """(pid, command) of the processes that hold a TCP socket on this port, as far as /proc lets us see."""
    wanted = {f"socket:[{inode}]" for inode in _socket_inodes(port)}
    holders: List[Tuple[int, str]] = []
    if not wanted:
        return holders
    try:
        pids = sorted(int(d) for d in os.listdir("/proc") if d.isdigit())
    except OSError:
        return holders
    for pid in pids:
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:  # gone, or not ours to look at
            continue
        for fd in fds:
            try:
                if os.readlink(f"/proc/{pid}/fd/{fd}") in wanted:
                    holders.append((pid, _command(pid)))
                    break
            except OSError:
                continue
    return holders


def _bind_error(host: str, port: int) -> Optional[OSError]:
    """Why a server could not listen on host:port, or None. With SO_REUSEADDR, like the servers themselves: a
    socket of a server that just stopped (TIME_WAIT) does not count, one that listens does."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM, 0, socket.AI_PASSIVE)[0]
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(address)
    except OSError as exc:
        return exc
    return None


def port_problems(wanted: Sequence[Tuple[str, str, int]]) -> List[str]:
    """For (server, host, port): why each port cannot be used, in Dutch, with what to do. Empty: all free."""
    problems: List[str] = []
    seen: Dict[Tuple[str, int], str] = {}
    for name, host, port in wanted:
        variable = PORT_VARIABLES[name]
        other = port + 1 if port < 65535 else port - 1
        if (host, port) in seen:
            problems.append(f"{seen[host, port]} en {variable} zijn allebei {port}. Geef elke server een eigen poort, "
                            f"bijvoorbeeld {variable}={other}.")
            continue
        seen[host, port] = variable
        error = _bind_error(host, port)
        if error is None:
            continue
        if error.errno == errno.EADDRINUSE:
            holders = port_holders(port)
            who = "; ".join(f"{command}, pid {pid}" for pid, command in holders) or "een ander programma (ik kan niet zien welk)"
            text = f"Poort {port} ({variable}, voor {SERVER_NAMES[name]}) is al in gebruik door: {who}."
            if any(marker in command for _, command in holders for marker in _OUR_SERVERS):
                text += " Dat is waarschijnlijk de bot van een vorige keer, die nog draait."
            stop = f"Stop dat proces (kill {' '.join(str(pid) for pid, _ in holders)})" if holders else "Stop dat programma"
            problems.append(f"{text} {stop}, of kies een andere poort met {variable}=…, "
                            f"bijvoorbeeld: {variable}={other} make run")
        elif error.errno == errno.EACCES:
            problems.append(f"Poort {port} ({variable}) mag niet: poorten onder 1024 zijn alleen voor de beheerder. "
                            f"Kies een poort boven 1024, bijvoorbeeld {variable}={other}.")
        else:
            host_variable = "ACTION_HOST" if name == "actions" else "BOT_HOST"
            problems.append(f"{_capital(SERVER_NAMES[name])} kan niet luisteren op {host}:{port} ({error.strerror or error}). "
                            f"Kijk of {host_variable} klopt: het moet een adres van deze computer zijn, bijvoorbeeld 127.0.0.1.")
    return problems


class PortInUse(RuntimeError):
    """A port that a server needs cannot be used; the message names it, what holds it and what to do."""


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
        """Start a child in its own session (a stop signal to our group is ours to pass on) that dies with us."""
        self.log_dir.mkdir(parents=True, exist_ok=True)
        full_env = {**_env(self.settings, self.env), **(env or {})}
        with open(self.log_dir / f"{name}.log", "ab") as log, signals_held():
            proc = subprocess.Popen(args, cwd=ROOT, env=full_env, stdout=log, stderr=subprocess.STDOUT,
                                    start_new_session=True, preexec_fn=_die_with_parent())
            self.processes[name] = proc
        return proc

    def log(self, name: str) -> Path:
        return self.log_dir / f"{name}.log"

    def check(self) -> None:
        """Before anything starts: CORS_ORIGINS is well-formed (SettingsError) and every port is free (PortInUse)."""
        s = self.settings
        parse_origins(s.cors)  # a malformed CORS_ORIGINS: SettingsError, with what to change
        wanted = [("actions", s.action_host, s.action_port), ("rasa", s.host, s.rasa_port)]
        if self.web:
            wanted.append(("web", s.host, s.web_port))
        problems = port_problems(wanted)
        if problems:
            raise PortInUse("\n".join(problems))

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
        self.check()
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
        """Stop one server, or all of them (the last started first, all at once). Safe to call again; a Ctrl-C or
        SIGTERM while it runs is held until every child has stopped (signals_held)."""
        with signals_held():
            names = [name] if name else list(reversed(self.processes))
            stop_processes([self.processes[key] for key in names if key in self.processes])
            for key in names:
                self.processes.pop(key, None)

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


class StopRequest:
    """The signal handler of `make run`: the first Ctrl-C, SIGTERM or SIGHUP stops everything (KeyboardInterrupt);
    any signal after that, or once stopping has begun, is ignored, so it cannot break off the stop."""

    def __init__(self) -> None:
        self.stopping = False

    def __call__(self, signum: int, frame: object) -> None:
        if self.stopping:
            return
        self.stopping = True
        raise KeyboardInterrupt


def _say(text: str, error: bool = False) -> None:
    """Print; a terminal that is gone (closed window, broken pipe) must not stop the stopping."""
    try:
        print(text, file=sys.stderr if error else sys.stdout, flush=True)
    except (OSError, ValueError):
        pass


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(ROOT))
    except ValueError:
        return str(path)


def main() -> int:
    """`make run`: start the servers, print where to talk to the bot, stop them all on Ctrl-C, SIGTERM or SIGHUP."""
    if "--check-kb" in sys.argv[1:]:
        return check_kb_main()

    request = StopRequest()
    for sig in STOP_SIGNALS:
        signal.signal(sig, request)
    servers: Optional[Servers] = None
    try:
        servers = Servers(web=True, log_dir=Path(os.environ.get("BOT_LOG_DIR") or DEFAULT_LOG_DIR))
        servers.check()  # before anything starts: a busy port or a wrong CORS_ORIGINS is named, nothing runs
        s = servers.settings
        _say(f"Bieb-assistent start (actieserver :{s.action_port}, Rasa :{s.rasa_port}, web :{s.web_port}). "
             f"Dit duurt ongeveer een minuut...")
        servers.start()
        web = f"http://{s.host}:{s.web_port}"
        _say(f"\nKlaar. Praat met de bot:\n"
             f"  web:       {web}/  (de chat-widget; opzoeken voor medewerkers, na inloggen: {web}/staff; account maken: python -m bot staff add-user NAAM)\n"
             f"  terminal:  .venv/bin/python -m bot ask \"wat is boekstart\"\n"
             f"  HTTP:      curl -s {s.rasa_url}/webhooks/rest/webhook -d '{{\"sender\":\"ik\",\"message\":\"hoi\"}}'\n"
             f"  socket.io: {s.rasa_url}/socket.io\n"
             f"Stoppen: Ctrl-C (stopt alle servers)\n")
        while True:
            ended = [name for name, proc in servers.processes.items() if proc.poll() is not None]
            if ended:
                break
            time.sleep(1)
        request.stopping = True
        for name in ended:
            _say(f"{_capital(SERVER_NAMES[name])} is gestopt (exitcode {servers.processes[name].returncode}). "
                 f"Kijk in {_shown(servers.log(name))}. De andere servers stop ik ook.", error=True)
        return 1
    except KeyboardInterrupt:
        request.stopping = True
        _say("\nStoppen...")
        return 0
    except RuntimeError as exc:  # also SettingsError, PortInUse and a missing KB ("make kb")
        request.stopping = True
        _say(f"Starten mislukt: {exc}", error=True)
        return 1
    except SystemExit as exc:  # no model ("make train"), the API without a token
        request.stopping = True
        _say(f"Starten mislukt: {exc.code}", error=True)
        return 1
    finally:
        request.stopping = True
        if servers is not None and servers.processes:
            servers.stop()
            _say("Alle servers zijn gestopt.")
        # From here on a stop signal changes nothing. Ignored, not merely handled: while Python shuts down it puts
        # back the default action for handled signals (SIGTERM would then end it with -15 instead of our code).
        for sig in STOP_SIGNALS:
            signal.signal(sig, signal.SIG_IGN)


if __name__ == "__main__":
    sys.exit(main())
