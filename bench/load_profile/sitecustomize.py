"""A sampling profiler for the load test's server, loaded as ``sitecustomize`` when COCKPIT_LOAD_PROFILE names a file.

`bench/load_test.py --profile FILE` puts this directory on the server's PYTHONPATH. Python imports
``sitecustomize`` at start-up; with COCKPIT_LOAD_PROFILE set, a daemon thread samples every thread's stack
(``sys._current_frames``) every COCKPIT_LOAD_PROFILE_INTERVAL seconds (default 0.005) and rewrites FILE every
few seconds with the functions that were on the stack (inclusive) and on top of it (self) in the busy samples. A
sampler sees all threads (Streamlit runs each session's script in its own thread, the event loop in the main
thread), which cProfile, bound to one thread, does not. Threads waiting (select, locks, queues, sleep) are left out.
py-spy would do the same from outside, but it is not installed here.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

# A thread whose innermost Python frame is one of these is waiting, not working.
_IDLE = frozenset(
    {
        ("selectors.py", "select"),
        ("threading.py", "wait"),
        ("threading.py", "_wait_for_tstate_lock"),
        ("queue.py", "get"),
        ("base_events.py", "_run_once"),
        ("sitecustomize.py", "_sample"),
        ("thread.py", "_worker"),  # a thread pool's idle worker (blocked in its queue)
        ("polling_path_watcher.py", "task"),  # Streamlit's polling file watcher, sleeping between polls
        ("inotify_c.py", "_check_inotify_fd"),  # watchdog waiting for file events
    }
)
_TOP = 60


def _where(frame: FrameType) -> tuple[str, str, int]:
    code = frame.f_code
    return code.co_filename, code.co_name, code.co_firstlineno


_PROJECT = str(Path(__file__).resolve().parents[2]) + "/"


def _short(path: str) -> str:
    for marker in ("site-packages/", _PROJECT):
        if marker in path:
            return path.split(marker, 1)[1]
    return path.rsplit("/", 1)[-1]


@dataclass
class _Tally:
    busy: int = 0
    idle: int = 0
    own: Counter[tuple[str, str, int]] = field(default_factory=Counter)
    within: Counter[str] = field(default_factory=Counter)
    imports: Counter[str] = field(default_factory=Counter)

    def add(self, frame: FrameType) -> None:
        leaf = _where(frame)
        if (leaf[0].rsplit("/", 1)[-1], leaf[1]) in _IDLE:
            self.idle += 1
            return
        self.busy += 1
        self.own[leaf] += 1
        seen = set()
        current: FrameType | None = frame
        while current is not None:
            path, name, _ = _where(current)
            seen.add(f"{_short(path)} {name}")
            if name == "_find_and_load":
                # An import at run time: a module not in sys.modules yet, or one that fails on every attempt.
                caller = current.f_back
                while caller is not None and "importlib" in caller.f_code.co_filename:
                    caller = caller.f_back
                where = "?" if caller is None else f"{_short(caller.f_code.co_filename)}:{caller.f_lineno}"
                self.imports[f"{current.f_locals.get('name')} from {where}"] += 1
            current = current.f_back
        self.within.update(seen)

    def write(self, target: Path) -> None:
        share = 100 / max(self.busy, 1)
        lines = [f"# {self.busy} busy samples ({self.idle} idle thread samples left out)", ""]
        lines += ["## inclusive (on the stack)", ""]
        lines += [f"{share * n:5.1f} %  {name}" for name, n in self.within.most_common(_TOP)]
        lines += ["", "## self (innermost frame)", ""]
        lines += [
            f"{share * n:5.1f} %  {_short(path)}:{line} {name}" for (path, name, line), n in self.own.most_common(_TOP)
        ]
        lines += ["", "## imports while sampled (module from caller)", ""]
        lines += [f"{share * n:5.1f} %  {name}" for name, n in self.imports.most_common(_TOP)]
        temporary = target.with_suffix(".tmp")
        temporary.write_text("\n".join(lines) + "\n", encoding="utf-8")
        temporary.replace(target)


def _sample(target: Path, interval: float) -> None:
    me = threading.get_ident()
    tally = _Tally()
    written = time.monotonic()
    while True:
        time.sleep(interval)
        for ident, frame in sys._current_frames().items():
            if ident != me:
                tally.add(frame)
        if time.monotonic() - written > 5:
            tally.write(target)
            written = time.monotonic()


def _start() -> None:
    target = os.environ.get("COCKPIT_LOAD_PROFILE")
    if not target:
        return
    interval = float(os.environ.get("COCKPIT_LOAD_PROFILE_INTERVAL") or 0.005)
    thread = threading.Thread(target=_sample, args=(Path(target), interval), name="load-profile", daemon=True)
    thread.start()


_start()
