"""Stopping `make run` (`python -m bot.serve`) leaves nothing behind; a busy port is named before anything starts.

`make run` puts `make` and `python -m bot.serve` in one process group; the servers run in sessions of their
own. A supervisor or a closing terminal signals that group, and GNU make passes its SIGTERM on, so bot.serve
gets the signal twice, the second time while it is stopping the servers. Here bot.serve runs in a process
group of its own and the group gets the signal again and again until bot.serve has ended: the repeats land
while it stops. Afterwards no server may be left and every port must be free.

Two full starts (SIGTERM, SIGINT), about a minute and 1.3 GB each. The SIGKILL case needs only the action
server and the web server to be up; the port and stop-logic cases start no Rasa at all.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Dict, List, Optional

import pytest

from bot.serve import DEFAULT_MODEL, ROOT, Servers, Settings, get
from tests.ports import free_port

SERVERS = {"actions": "rasa run actions", "rasa": "bot.rasa_server", "web": "bot.web.server"}


def port_is_free(port: int) -> bool:
    """As a new server would find it: can it listen here (SO_REUSEADDR, like Sanic and aiohttp)?"""
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
            s.listen()
        except OSError:
            return False
    return True


def _stat(pid: int) -> Optional[List[str]]:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text.rsplit(")", 1)[1].split()  # after "pid (comm)": state, ppid, ...


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return ""


def alive(pid: int, command: str) -> bool:
    """Still running as the same program (a zombie has stopped; a new process with the same pid is not it)."""
    fields = _stat(pid)
    return fields is not None and fields[0] != "Z" and cmdline(pid) == command


def children(pid: int) -> Dict[int, str]:
    found = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            fields = _stat(int(entry))
            if fields is not None and fields[1] == str(pid):
                found[int(entry)] = cmdline(int(entry))
    return found


def wait_until(condition, timeout: float, step: float = 0.2) -> bool:
    """A bound so a broken run cannot hang the suite; never a measure of speed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return condition()


class Serve:
    """`python -m bot.serve` as `make run` starts it, on free loopback ports, in a process group of its own."""

    def __init__(self, tmp: Path, kb: Path, **extra: str):
        self.ports = {"ACTION_PORT": free_port(), "RASA_PORT": free_port(), "WEB_PORT": free_port()}
        self.ports.update({k: int(v) for k, v in extra.items() if k.endswith("_PORT")})
        self.log_dir = tmp / "log"
        env = {k: v for k, v in os.environ.items() if k not in ("CORS_ORIGINS", "RASA_ENABLE_API", "BOT_HOST", "ACTION_HOST")}
        env.update({k: str(v) for k, v in self.ports.items()})
        env.update(DATABASE_URL=f"sqlite:///{kb}", TRACKER_DB=str(tmp / "tracker.sqlite3"), BOT_LOG_DIR=str(self.log_dir),
                   FEEDBACK_DATABASE_URL=f"sqlite:///{tmp / 'feedback.sqlite3'}", STAFF_USERS_FILE=str(tmp / "staff.json"))
        env.update({k: v for k, v in extra.items() if not k.endswith("_PORT")})
        self.out = tmp / "serve.out"
        with open(self.out, "wb") as out:
            self.proc = subprocess.Popen([sys.executable, "-m", "bot.serve"], cwd=ROOT, env=env, stdout=out,
                                         stderr=subprocess.STDOUT, start_new_session=True)
        self.servers: Dict[int, str] = {}  # pid -> command line of every server bot.serve started

    def output(self) -> str:
        return self.out.read_text(errors="replace")

    def wait_for(self, names, timeout: float) -> None:
        """Until these servers answer; notes bot.serve's children. Fails when bot.serve ends first."""
        checks = {"actions": f"http://127.0.0.1:{self.ports['ACTION_PORT']}/health",
                  "rasa": f"http://127.0.0.1:{self.ports['RASA_PORT']}/",
                  "web": f"http://127.0.0.1:{self.ports['WEB_PORT']}/health"}
        pending = set(names)

        def ready() -> bool:
            assert self.proc.poll() is None, f"bot.serve stopte (exit {self.proc.returncode}):\n{self.output()}"
            self.servers.update(children(self.proc.pid))
            for name in list(pending):
                if get(checks[name], timeout=1) is not None:
                    pending.discard(name)
            return not pending

        assert wait_until(ready, timeout, step=0.5), f"niet op tijd: {pending}\n{self.output()}"
        started = " | ".join(self.servers.values())
        for name in SERVERS:  # all three are started at once; only the ones named had to answer
            assert SERVERS[name] in started, f"{name} niet gestart door bot.serve: {self.servers}"

    def left(self) -> Dict[int, str]:
        return {pid: command for pid, command in self.servers.items() if alive(pid, command)}

    def busy_ports(self) -> List[int]:
        return [port for port in self.ports.values() if not port_is_free(port)]

    def cleanup(self) -> None:
        """Whatever the outcome, nothing of this test keeps running (by pid, only our own processes)."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=30)
        for pid in self.left():
            for kill in (os.killpg, os.kill):  # each server leads its own process group
                try:
                    kill(pid, signal.SIGKILL)
                    break
                except OSError:
                    continue


@pytest.fixture
def need_model():
    if not DEFAULT_MODEL.exists():
        pytest.fail("no trained model: run `make train` first (`make test` does)")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_to_the_group_again_and_again_stops_every_server(sig, need_model, kb_path, tmp_path):
    serve = Serve(tmp_path, kb_path)
    try:
        serve.wait_for(SERVERS, timeout=400)
        assert len(serve.servers) == 3
        # The first one, then repeats while bot.serve stops (GNU make passing it on, a user pressing Ctrl-C again).
        repeats = 0
        deadline = time.monotonic() + 120
        while serve.proc.poll() is None and time.monotonic() < deadline:
            try:
                os.killpg(serve.proc.pid, sig)
                repeats += 1
            except ProcessLookupError:
                break
            time.sleep(0.05)
        code = serve.proc.wait(timeout=30)
        out = serve.output()
        assert repeats >= 2, out
        assert serve.left() == {}, f"nog actief na het stoppen: {serve.left()}\n{out}"
        assert serve.busy_ports() == [], out
        assert "Traceback" not in out and code == 0, out
        assert "Stoppen..." in out and "Alle servers zijn gestopt." in out, out
    finally:
        serve.cleanup()


def test_killing_bot_serve_hard_takes_every_server_with_it(kb_path, tmp_path):
    """SIGKILL cannot be caught: the kernel ends the children (parent-death signal). No full Rasa start needed:
    the action server and the web server are up, the Rasa server is a running child still loading its model."""
    serve = Serve(tmp_path, kb_path)
    try:
        serve.wait_for(["actions", "web"], timeout=240)
        assert len(serve.servers) == 3
        serve.proc.kill()
        serve.proc.wait(timeout=30)
        wait_until(lambda: not serve.left(), timeout=60)
        assert serve.left() == {}, f"nog actief nadat bot.serve gekild is: {serve.left()}"
        assert wait_until(lambda: not serve.busy_ports(), timeout=30), serve.busy_ports()
    finally:
        serve.cleanup()


@pytest.mark.parametrize("variable", ["RASA_PORT", "ACTION_PORT", "WEB_PORT"])
def test_a_busy_port_is_named_with_its_holder_before_anything_starts(variable, kb_path, tmp_path):
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        serve = Serve(tmp_path, kb_path, **{variable: str(port)})
        try:
            code = serve.proc.wait(timeout=300)
        finally:
            serve.cleanup()
    out = serve.output()
    assert code != 0, out
    assert f"Poort {port} ({variable}" in out and "al in gebruik" in out, out
    assert f"pid {os.getpid()}" in out, out  # this test holds the port
    assert f"{variable}=" in out and "Traceback" not in out, out
    assert not serve.log_dir.exists() or not any(serve.log_dir.iterdir()), "er is toch een server gestart"


def test_the_same_port_twice_is_refused_before_anything_starts(kb_path, tmp_path):
    port = free_port()
    serve = Serve(tmp_path, kb_path, RASA_PORT=str(port), WEB_PORT=str(port))
    try:
        code = serve.proc.wait(timeout=300)
    finally:
        serve.cleanup()
    out = serve.output()
    assert code != 0 and f"RASA_PORT en WEB_PORT zijn allebei {port}" in out, out
    assert not serve.log_dir.exists() or not any(serve.log_dir.iterdir()), "er is toch een server gestart"


SLOW_TO_STOP = """
import os, pathlib, signal, sys, time
here = pathlib.Path(sys.argv[1])
def on_term(*_):
    (here / "term").touch()
    if len(sys.argv) > 2:  # a Ctrl-C for the parent while it is stopping this server
        os.kill(os.getppid(), signal.SIGINT)
    for _ in range(600):  # stops only once the test says so (at most a minute)
        if (here / "go").exists():
            break
        time.sleep(0.05)
    sys.exit(0)
signal.signal(signal.SIGTERM, on_term)
(here / "ready").touch()
time.sleep(600)
"""


def test_ctrl_c_while_stopping_is_held_until_every_server_has_stopped(tmp_path):
    """Servers.stop in-process (no Rasa): a Ctrl-C that lands while one server is still stopping must not leave
    the others running; it comes afterwards, and a second stop() is harmless."""
    settings = Settings(rasa_port=free_port(), action_port=free_port(), web_port=free_port())
    servers = Servers(settings, log_dir=tmp_path / "log", web=True)
    # Ctrl-C as in a terminal: an earlier test in this process (an asyncio loop, Sanic) may have left another handler.
    before = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        # The slow server sends this process a Ctrl-C the moment it is asked to stop, then takes its time.
        slow = servers._spawn("slow", [sys.executable, "-c", SLOW_TO_STOP, str(tmp_path), "ctrl-c"])
        servers.start_web()
        servers.wait(120)
        web = servers.processes["web"]
        assert wait_until(lambda: (tmp_path / "ready").exists(), timeout=60)

        def let_it_stop():
            if wait_until(lambda: (tmp_path / "term").exists(), timeout=60, step=0.02):
                time.sleep(0.5)  # the Ctrl-C is pending while the slow server still runs
                (tmp_path / "go").touch()

        helper = threading.Thread(target=let_it_stop, daemon=True)
        helper.start()
        with pytest.raises(KeyboardInterrupt):
            servers.stop()
        helper.join(timeout=60)
        assert slow.poll() is not None and web.poll() is not None, "een server draait nog na het stoppen"
        assert servers.processes == {}
        assert port_is_free(settings.web_port)
        servers.stop()  # again: nothing left to do, no error
    finally:
        (tmp_path / "go").touch()
        servers.stop()
        signal.signal(signal.SIGINT, before)
