"""Peak memory of a process tree: a thread samples the resident set size (VmRSS) of a process and all its
descendants from /proc every 50 ms and keeps the largest sum. Linux only; elsewhere the peak is None and the
worker's own getrusage(RUSAGE_SELF / RUSAGE_CHILDREN).ru_maxrss is all there is.

Sampling can miss a spike between two samples; the kernel's high-water mark of a process (ru_maxrss) cannot, so
the runner reports the larger of the two. A sum of RSS counts pages a forked child shares with its parent twice,
which is why the per-step peaks inside a worker (whose work is all in-process) sample the worker alone."""
from __future__ import annotations

import os
import threading
import time
from pathlib import Path

PROC = Path("/proc")


PAGE_KIB = (os.sysconf("SC_PAGE_SIZE") // 1024) if hasattr(os, "sysconf") else 4


def _rss_kib(pid: int) -> int:
    """Resident set size of one process in KiB (0 when it has gone), from /proc/<pid>/statm: the same number as
    VmRSS in /proc/<pid>/status, which costs the kernel far more to write (it holds the process's memory-map lock
    longer, slowing the measured process while it allocates)."""
    try:
        with open(PROC / str(pid) / "statm", "rb") as handle:
            return int(handle.read().split()[1]) * PAGE_KIB
    except (OSError, ValueError, IndexError):
        return 0


def _children_by_proc_file(pid: int) -> list[int] | None:
    """Children listed by /proc/<pid>/task/*/children (CONFIG_PROC_CHILDREN); None when the kernel lacks it."""
    tasks = PROC / str(pid) / "task"
    found: list[int] = []
    try:
        task_ids = os.listdir(tasks)
    except OSError:
        return []
    for task in task_ids:
        try:
            text = (tasks / task / "children").read_text()
        except FileNotFoundError:
            return None
        except OSError:
            continue
        found.extend(int(child) for child in text.split())
    return found


def _parent_map() -> dict[int, list[int]]:
    """ppid -> children, from every /proc/<pid>/stat (the fallback when the children files are missing)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir(PROC):
        if not entry.isdigit():
            continue
        try:
            stat = (PROC / entry / "stat").read_text()
            ppid = int(stat[stat.rindex(")") + 2:].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    return children


def process_tree(pid: int) -> list[int]:
    """`pid` and all its descendants."""
    direct = _children_by_proc_file(pid)
    if direct is None:
        by_parent = _parent_map()
        tree, todo = [], [pid]
        while todo:
            current = todo.pop()
            tree.append(current)
            todo.extend(by_parent.get(current, []))
        return tree
    tree, todo = [pid], list(direct)
    while todo:
        current = todo.pop()
        tree.append(current)
        todo.extend(_children_by_proc_file(current) or [])
    return tree


def tree_rss_bytes(pid: int) -> int:
    return sum(_rss_kib(p) for p in process_tree(pid)) * 1024


class TreePeakSampler:
    """Samples the RSS of `pid`'s process tree (or of `pid` alone: children=False) in a daemon thread until stop();
    `peak_bytes` is the largest sum seen."""

    def __init__(self, pid: int, interval: float = 0.05, children: bool = True) -> None:
        self.pid = pid
        self.children = children
        self.interval = interval
        self.peak_bytes = 0
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"rss-sampler-{pid}", daemon=True)
        self.available = PROC.is_dir()

    def _rss(self) -> int:
        return tree_rss_bytes(self.pid) if self.children else _rss_kib(self.pid) * 1024

    def _run(self) -> None:
        while not self._stop.is_set():
            rss = self._rss()
            if rss:
                self.peak_bytes = max(self.peak_bytes, rss)
                self.samples += 1
            self._stop.wait(self.interval)

    def take_peak(self) -> int | None:
        """The peak since the last call (or the start), then start over from the current RSS (per-step peaks)."""
        if not self.available:
            return None
        current = self._rss()
        peak = max(self.peak_bytes, current)
        self.peak_bytes = current
        return peak or None

    def start(self) -> TreePeakSampler:
        if self.available:
            self._thread.start()
        return self

    def stop(self) -> int | None:
        if not self.available:
            return None
        self._stop.set()
        self._thread.join(timeout=5)
        return self.peak_bytes or None


def own_max_rss_bytes() -> dict[str, int]:
    """getrusage's ru_maxrss (KiB on Linux) of this process and of its waited-for children, in bytes."""
    import resource

    return {
        "self": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "children": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024,
    }


def wait_sampled(process, interval: float = 0.05) -> tuple[int, int | None, float]:
    """Wait for a subprocess.Popen while sampling its tree: (return code, peak tree RSS in bytes, wall seconds)."""
    sampler = TreePeakSampler(process.pid, interval).start()
    started = time.perf_counter()
    code = process.wait()
    wall = time.perf_counter() - started
    return code, sampler.stop(), wall
