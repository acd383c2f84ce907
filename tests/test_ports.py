"""The tests' port helper never hands out one port twice (two servers on one port made a CI run fail)."""
import tests.ports as ports


class Probe:
    """A socket whose bind to port 0 gets the next port of a list, as the OS may give one port again."""

    given = iter([41539, 41539, 41540])

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def bind(self, address):
        self.port = next(Probe.given)

    def getsockname(self):
        return ("127.0.0.1", self.port)


def test_a_port_the_os_gives_again_is_not_handed_out_twice(monkeypatch):
    monkeypatch.setattr(ports.socket, "socket", Probe)
    monkeypatch.setattr(ports, "_given", set())
    assert [ports.free_port(), ports.free_port()] == [41539, 41540]
