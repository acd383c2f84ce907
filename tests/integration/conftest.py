"""Integration tests against real PostgreSQL, Redis and nginx (`make test-integration`).

Every test here is marked `integration` and is left out of a plain `pytest tests` (so `make test-unit`
does not start a cluster) unless the marker expression asks for it: `pytest -m integration tests/integration`.
"""
from __future__ import annotations

import pytest

from tests.integration.cluster import Cluster, ClusterError, start_cluster


def pytest_configure(config):
    config.addinivalue_line("markers", "integration: needs PostgreSQL, Redis and nginx (make test-integration)")


def pytest_collection_modifyitems(config, items):
    if "integration" in (config.getoption("markexpr") or ""):
        return
    dropped = [item for item in items if item.get_closest_marker("integration")]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = [item for item in items if not item.get_closest_marker("integration")]


@pytest.fixture(scope="session")
def cluster(empty_local) -> Cluster:
    try:
        running = start_cluster(empty_local)
    except ClusterError as exc:
        pytest.fail(str(exc), pytrace=False)
    try:
        yield running
    finally:
        running.stop()
