"""Starting and stopping our own server processes, and watching their memory and CPU.

psutil is not installed, so memory and CPU come straight from ``/proc`` (Linux only). The
"process tree" is a process and all its descendants: with ``SANIC_WORKERS>1`` Sanic forks
workers, and each holds its own copy of the model.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Sequence

# The benchmark's servers take their ports as the tests' do (``procs.free_port``).
from tests.support.ports import free_port  # noqa: F401

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _children_map() -> Dict[int, List[int]]:
    children: Dict[int, List[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
        except OSError:
            continue
        # The command name (field 2) may contain spaces: split after its closing parenthesis.
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    return children


def process_tree(pid: int) -> List[int]:
    """``pid`` and all its living descendants."""
    children = _children_map()
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo.extend(children.get(current, []))
    return tree


def _status_kib(pid: int, key: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    # utime, stime, cutime, cstime are fields 14-17 of stat (11-14 after the command name).
    return sum(int(value) for value in fields[11:15]) / CLOCK_TICKS


def tree_rss_mib(pid: int) -> float:
    return sum(_status_kib(p, "VmRSS") for p in process_tree(pid)) / 1024


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU time of the tree so far (children that exited are included)."""
    return sum(_cpu_seconds(p) for p in process_tree(pid))


class TreeSampler:
    """Samples the summed RSS of a process tree in a thread; keeps the peak."""

    def __init__(self, pid: int, interval_s: float) -> None:
        self.pid = pid
        self.interval_s = interval_s
        self.peak_mib = 0.0
        self.last_mib = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)

    def __enter__(self) -> TreeSampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()

    def sample(self) -> float:
        self.last_mib = tree_rss_mib(self.pid)
        self.peak_mib = max(self.peak_mib, self.last_mib)
        return self.last_mib

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.interval_s)

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()


@dataclass
class Server:
    """A process we started, its log file and the URL it answers on."""

    name: str
    process: subprocess.Popen
    url: str
    log: Path
    started_at: float

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])

    def check_alive(self) -> None:
        if self.process.poll() is not None:
            raise RuntimeError(f"{self.name} exited with {self.process.returncode}; see {self.log}")

    def stop(self, timeout_s: float = 20.0) -> None:
        """SIGINT first (lets cProfile and Sanic shut down cleanly), then SIGTERM, then SIGKILL.

        The process was started in its own session, so its group holds only our processes.
        """
        if self.process.poll() is None:
            for sig in (signal.SIGINT, signal.SIGTERM):
                try:
                    os.killpg(self.process.pid, sig)
                except ProcessLookupError:
                    return
                try:
                    self.process.wait(timeout=timeout_s)
                    break
                except subprocess.TimeoutExpired:
                    continue
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


def start(
    name: str, cmd: Sequence[str], env: Dict[str, str], cwd: Path, log: Path, url: str
) -> Server:
    """Start ``cmd`` in its own session with output to ``log``."""
    log.parent.mkdir(parents=True, exist_ok=True)
    started_at = time.monotonic()
    with log.open("wb") as stream:
        process = subprocess.Popen(
            list(cmd),
            cwd=cwd,
            env=env,
            stdout=stream,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return Server(name=name, process=process, url=url, log=log, started_at=started_at)


def wait_http_ok(server: Server, path: str, timeout_s: float) -> float:
    """Poll ``GET path`` until it answers 200; return the seconds since the process started."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        server.check_alive()
        try:
            with urllib.request.urlopen(server.url + path, timeout=5) as reply:
                if reply.status == 200:
                    return time.monotonic() - server.started_at
        except (OSError, urllib.error.HTTPError):
            pass
        time.sleep(0.1)
    raise TimeoutError(f"{server.name} did not answer {path} within {timeout_s:.0f} s")


def loadavg() -> List[float]:
    """The 1, 5 and 15 minute load averages: other people's processes share this machine."""
    return [float(value) for value in Path("/proc/loadavg").read_text().split()[:3]]
