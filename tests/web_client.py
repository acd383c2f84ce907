"""Calling the web app (bot/web/server.py) in-process with aiohttp's test client, without a pytest plugin.

An aiohttp app belongs to one event loop, so `call` gets a function that makes the app, once per call.
"""
from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any, Callable

from aiohttp.test_utils import TestClient, TestServer


@dataclass
class Reply:
    status: int
    headers: Any
    text: str

    def json(self) -> Any:
        return json.loads(self.text)


def call(make_app: Callable[[], Any], method: str, path: str, **kwargs) -> Reply:
    async def run() -> Reply:
        async with TestClient(TestServer(make_app())) as client:
            response = await client.request(method, path, **kwargs)
            return Reply(response.status, response.headers, await response.text())
    return asyncio.run(run())
