"""Fixtures: a real `conveyor serve` for the session, and a fresh customer (and key) per test."""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from helpers import eventually, make_key

from conveyor import AsyncClient, Client

# The repository's debug build (`swift build`), unless told otherwise.
BIN = os.environ.get("CONVEYOR_BIN") or str(Path(__file__).resolve().parents[3] / ".build" / "debug" / "conveyor")


@dataclass
class Server:
    url: str
    admin_key: str
    log: Path
    process: subprocess.Popen[bytes]

    def admin(self, method: str, path: str, json: Any = None) -> Any:
        response = httpx.request(
            method, self.url + path, json=json, headers={"Authorization": f"Bearer {self.admin_key}"}, timeout=30
        )
        assert response.status_code < 300, f"{method} {path}: {response.status_code} {response.text}"
        return response.json() if response.content else None


@dataclass
class Tenant:
    name: str
    key: str
    key_id: str


@pytest.fixture(scope="session")
def server() -> Iterator[Server]:
    if not os.access(BIN, os.X_OK):
        pytest.fail(f"no conveyor binary at {BIN}: run `swift build` first, or set CONVEYOR_BIN")
    workdir = Path(tempfile.mkdtemp(prefix="conveyor-pytest-"))
    database = os.environ.get("CONVEYOR_TEST_DATABASE_URL") or str(workdir / "conveyor.sqlite")
    admin_key = make_key()
    env = {
        **os.environ,
        "DATABASE_URL": database,
        "CONVEYOR_ADMIN_KEY": admin_key,
        "WEBHOOK_ALLOW_PRIVATE_NETWORKS": "true",
        "SHUTDOWN_DRAIN_SECONDS": "0",
        "LOG_LEVEL": os.environ.get("CONVEYOR_TEST_LOG_LEVEL", "warning"),
    }
    log = workdir / "serve.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [BIN, "serve", "--host", "127.0.0.1", "--port", "0"],
            cwd=workdir,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )

    def listening() -> str | None:
        assert process.poll() is None, f"conveyor serve exited:\n{log.read_text()}"
        for line in log.read_text(errors="replace").splitlines():
            if line.startswith("listening on "):
                return line.removeprefix("listening on ").strip()
        return None

    try:
        url = eventually(listening, timeout=60, what="conveyor serve to listen")
        yield Server(url, admin_key, log, process)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture
def tenant(server: Server) -> Tenant:
    name = "t" + secrets.token_hex(5)
    server.admin("POST", "/api/admin/customers", {"name": name})
    key = server.admin("POST", "/api/admin/keys", {"customer": name})
    return Tenant(name, key["key"], key["id"])


@pytest.fixture
def client(server: Server, tenant: Tenant) -> Iterator[Client]:
    with Client(server.url, api_key=tenant.key, customer=tenant.name) as c:
        yield c


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def aclient(server: Server, tenant: Tenant) -> Any:
    async with AsyncClient(server.url, api_key=tenant.key, customer=tenant.name) as c:
        yield c
