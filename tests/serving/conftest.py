"""A real uvicorn server on a free loopback port, and tokens for it: API tests go over HTTP."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta

import httpx
import pytest
import uvicorn

from socialflow_pipelines.config import Settings
from socialflow_pipelines.serving.app import create_app
from socialflow_pipelines.serving.auth import issue_token
from tests.domains.catalog.world import iid


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LiveServer:
    def __init__(self, settings: Settings) -> None:
        self.port = _free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(
            uvicorn.Config(
                create_app(settings), host="127.0.0.1", port=self.port, log_level="warning", lifespan="on"
            )
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("API server did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)

    def client(self, token: str | None = None, *, timeout_s: float = 30) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.base_url, headers=headers, timeout=timeout_s)


@pytest.fixture
def start_api() -> Iterator[Callable[[], LiveServer]]:
    """Starts the API with the environment as the test has set it (store, Redis, secret)."""
    servers: list[LiveServer] = []

    def start() -> LiveServer:
        server = LiveServer(Settings()).__enter__()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.__exit__()


@pytest.fixture
def make_token() -> Callable[..., str]:
    def make(user_id: int | str = 1, *, admin: bool = False, ttl: timedelta = timedelta(minutes=10)) -> str:
        """A token for user `iid(n)` (or the id given as text)."""
        sub = iid(user_id) if isinstance(user_id, int) else user_id
        return issue_token(sub, is_admin=admin, ttl=ttl, settings=Settings())

    return make
