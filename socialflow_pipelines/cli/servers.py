"""The demo's servers: the API, the Dagster webserver and the Dagster daemon (schedules and
sensors) as child processes, their output in log files so the console keeps only the banner."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
from tqdm import tqdm

WORKERS_ENV = "SOCIALFLOW_API_WORKERS"
MAX_DEFAULT_WORKERS = 4


def api_workers() -> int:
    """How many uvicorn workers `socialflow serve` starts: SOCIALFLOW_API_WORKERS, else one per
    core up to 4. One worker is one core at most (one event loop, one GIL); past 4 each worker's
    preloaded models and connection pools cost more memory than the cores left over gain."""
    configured = os.environ.get(WORKERS_ENV, "").strip()
    if configured:
        if not configured.isdigit() or int(configured) < 1:
            raise ValueError(f"{WORKERS_ENV} must be a positive integer, got {configured!r}")
        return int(configured)
    return min(os.cpu_count() or 1, MAX_DEFAULT_WORKERS)


class ServerFailed(RuntimeError):
    """A server exited or did not come up; the message names its log."""


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


class DemoServers:
    """The API, the Dagster webserver and the Dagster daemon (schedules and sensors) as child
    processes with their output in log files, so the console keeps only the banner."""

    def __init__(self, *, api_port: int, ui_port: int, log_dir: Path) -> None:
        self.api_port, self.ui_port, self.log_dir = api_port, ui_port, log_dir.resolve()
        self.processes: dict[str, subprocess.Popen] = {}
        self.commands = {
            "api": [
                sys.executable, "-m", "uvicorn", "socialflow_pipelines.serving.app:create_app", "--factory",
                "--host", "127.0.0.1", "--port", str(api_port), "--log-level", "warning",
            ],
            "webserver": [
                sys.executable, "-m", "dagster_webserver", "-m", "socialflow_pipelines.definitions",
                "-h", "127.0.0.1", "-p", str(ui_port),
            ],
            "daemon": [
                sys.executable, "-m", "dagster._daemon", "run", "-m", "socialflow_pipelines.definitions",
            ],
        }  # fmt: skip

    def start(self, *names: str) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ) | {"SOCIALFLOW_PRELOAD_MODELS": "1", "PYTHONWARNINGS": "ignore"}
        for name in names:
            log = (self.log_dir / f"{name}.log").open("w")
            self.processes[name] = subprocess.Popen(
                self.commands[name], env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        # SIGTERM (a supervisor, `kill`, CI) must stop the servers too, not orphan them.
        signal.signal(signal.SIGTERM, _interrupt)

    def exited(self) -> str | None:
        """The first server that is no longer running, if any."""
        return next((name for name, p in self.processes.items() if p.poll() is not None), None)

    def wait_until_ready(self, timeout_s: float = 180) -> None:
        """Until the API (models preloaded) and the UI answer; a server that exits is an error."""
        urls = [
            f"http://127.0.0.1:{self.api_port}/health",
            f"http://127.0.0.1:{self.ui_port}/server_info",
        ]
        deadline = time.monotonic() + timeout_s
        with tqdm(total=len(urls), desc="starting API and UI", unit="server") as bar:
            while urls:
                if (name := self.exited()) is not None:
                    raise ServerFailed(f"the {name} exited; see {self.log_dir / name}.log")
                if time.monotonic() > deadline:
                    raise ServerFailed(
                        f"servers not ready after {timeout_s:.0f} s; see the logs in {self.log_dir}"
                    )
                for url in list(urls):
                    try:
                        if httpx.get(url, timeout=1).status_code == 200:
                            urls.remove(url)
                            bar.update(1)
                    except httpx.HTTPError:
                        pass
                time.sleep(0.3)

    def wait(self) -> None:
        """Until Ctrl-C or SIGTERM; a server that dies raises ServerFailed naming its log."""
        try:
            while (name := self.exited()) is None:
                time.sleep(0.5)
            raise ServerFailed(f"the {name} exited; see {self.log_dir / name}.log")
        except KeyboardInterrupt:
            pass

    def stop(self) -> None:
        """SIGTERM to each server's whole process group (the daemon's code server included), then
        SIGKILL for whatever still runs after a few seconds. Runs in
        flight are safe to cut: every write is one transaction, and a re-run gives the same rows."""
        for process in self.processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 3
        for process in self.processes.values():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
