"""While a refresh runs in this process: SIGTERM / SIGINT stop it cleanly (the run marked canceled, its slots freed,
exit code 143 / 130), and a wait for a concurrency slot held by another run is bounded."""
from __future__ import annotations

import ctypes
import os
import select
import signal
import threading
import time

import dagster as dg
from dagster._core.errors import DagsterExecutionInterruptedError
from dagster._utils import interrupts as dagster_interrupts

from orchestration.run_guard import describe, run_process

SLOT_WAIT_ENV = "FUNNELHOUSE_SLOT_WAIT_SECONDS"
SLOT_WAIT_DEFAULT = 600.0
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
POLL_SECONDS = 0.5


def slot_wait_seconds() -> float:
    """How long a step may wait for a slot of its pool (env FUNNELHOUSE_SLOT_WAIT_SECONDS, default 600)."""
    value = os.environ.get(SLOT_WAIT_ENV, "").strip()
    return float(value) if value else SLOT_WAIT_DEFAULT


class RefreshStopped(SystemExit):
    """The refresh was stopped by a signal; its exit code is 128 + the signal's number (SIGINT 130, SIGTERM 143).
    A SystemExit, so that a script that does not catch it exits with that code and no traceback."""

    def __init__(self, signum: int, message: str) -> None:
        super().__init__(128 + signum)
        self.signum = signum
        self.message = message

    def __str__(self) -> str:
        return self.message


class SlotWaitExpired(Exception):
    """Raised into the run's thread when a step waited too long for a concurrency slot."""


class _Interrupted(BaseException):
    """Raised by the signal handler outside Dagster's execution (before the run starts, after it ends)."""


def _raise_in(thread_id: int, exception: type[BaseException]) -> None:
    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread_id), ctypes.py_object(exception))


class RunWatch:
    """Context manager around one run executed in the calling thread.

    On SIGINT / SIGTERM it marks the run canceling before Dagster sees the signal, so that Dagster ends the run as
    canceled (not as "interrupted unexpectedly"): Dagster's own handlers are installed through a wrapper that holds
    the first signal back until a watcher thread has reported the cancellation, then raises it again. A wait for a
    concurrency slot is broken (Dagster polls for one without end and does not look at signals meanwhile) when a
    signal came or the wait passed `slot_wait` seconds."""

    def __init__(self, instance: dg.DagsterInstance, run_id: str, slot_wait: float | None = None) -> None:
        self.instance = instance
        self.run_id = run_id
        self.slot_wait = slot_wait_seconds() if slot_wait is None else slot_wait
        self.signals: list[int] = []
        self.slot_error = ""
        self._canceling = False
        self._thread_id = threading.get_ident()
        self._on_main = threading.current_thread() is threading.main_thread()
        self._stop = threading.Event()
        self._pipe: tuple[int, int] | None = None
        self._previous: dict = {}
        self._previous_fd = -1
        self._waiting_since: float | None = None
        self._broke_wait = False
        self._acknowledged = False  # the run was marked canceling: signals may reach Dagster's handler now
        self._held: int | None = None  # a signal held back from Dagster's handler until then
        self._lock = threading.Lock()
        self._replace = getattr(dagster_interrupts, "_replace_interrupt_signal", None)

    # -- signals
    def _handler(self, signum: int, _frame) -> None:
        """Outside Dagster's execution: stop by unwinding (once)."""
        self.signals.append(signum)
        if not self._acknowledged:
            self._acknowledged = True
            raise _Interrupted()

    def _deferring(self, handler):
        """Dagster's `handler`, holding the first signal back until the watcher has marked the run canceling."""
        if handler is self._handler or getattr(handler, "held_by_funnelhouse", False) or not callable(handler):
            return handler

        def deferred(signum: int, frame) -> None:
            with self._lock:
                if not self._acknowledged:
                    self.signals.append(signum)
                    self._held = signum  # the watcher reports the cancellation, then raises the signal again
                    return
            handler(signum, frame)

        deferred.held_by_funnelhouse = True
        return deferred

    def _install(self, handler) -> None:
        self._replace(self._deferring(handler))

    def __enter__(self) -> RunWatch:
        if self._on_main:
            read, write = os.pipe()
            os.set_blocking(read, False)
            os.set_blocking(write, False)
            self._pipe = (read, write)
            self._previous_fd = signal.set_wakeup_fd(write, warn_on_full_buffer=False)
            for number in STOP_SIGNALS:
                self._previous[number] = signal.signal(number, self._handler)
            if self._replace is not None:
                dagster_interrupts._replace_interrupt_signal = self._install
        self._watcher = threading.Thread(target=self._watch, name="funnelhouse-run-watch", daemon=True)
        self._watcher.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        self._watcher.join(timeout=10)
        if self._pipe:
            if self._replace is not None:
                dagster_interrupts._replace_interrupt_signal = self._replace
            self._drain()
            signal.set_wakeup_fd(self._previous_fd)
            for number, handler in self._previous.items():
                signal.signal(number, handler)
            for fd in self._pipe:
                os.close(fd)

    @property
    def signum(self) -> int | None:
        return self.signals[0] if self.signals else None

    def _drain(self) -> None:
        """Signals that arrived (Dagster's handler holds them while steps run: their numbers come through the pipe)."""
        try:
            data = os.read(self._pipe[0], 64)
        except BlockingIOError:
            return
        self.signals.extend(number for number in data if number in STOP_SIGNALS)

    # -- the watcher thread
    def _watch(self) -> None:
        while not self._stop.is_set():
            if self._pipe:
                ready, _, _ = select.select([self._pipe[0]], [], [], POLL_SECONDS)
                if ready:
                    self._drain()
            else:
                self._stop.wait(POLL_SECONDS)
            try:
                self._tick()
            except Exception:  # noqa: BLE001 - a failed look at the instance must not stop the run
                pass

    def _tick(self) -> None:
        run = self.instance.get_run_by_id(self.run_id)
        if run is None or run.is_finished:
            if self.signals:  # no run (any more) to cancel: let a held signal through
                self._release()
            return
        if self.signals and not self._canceling:
            self._canceling = True
            self.instance.report_run_canceling(
                run, f"{signal.Signals(self.signals[0]).name} received: stopping the refresh")
            self._release()  # now to Dagster's handler: the step stops, the run cancels
        waiting = self._waiting_for_slot()
        if not waiting:
            self._waiting_since = None
            return
        if self.signals:
            if not self._broke_wait:
                self._broke_wait = True
                _raise_in(self._thread_id, DagsterExecutionInterruptedError)
            return
        self._waiting_since = self._waiting_since or time.monotonic()
        if time.monotonic() - self._waiting_since > self.slot_wait and not self.slot_error:
            self.slot_error = self._slot_message(waiting)
            _raise_in(self._thread_id, SlotWaitExpired)

    def _release(self) -> None:
        with self._lock:
            self._acknowledged = True
            held, self._held = self._held, None
        if held is not None:
            signal.raise_signal(held)

    def _waiting_for_slot(self) -> list[str]:
        """The pools in which a step of this run waits for a slot (pending, not yet assigned)."""
        storage = self.instance.event_log_storage
        if not storage.supports_global_concurrency_limits:
            return []
        return [key for key in storage.get_concurrency_keys()
                for step in storage.get_concurrency_info(key).pending_steps
                if step.run_id == self.run_id and step.assigned_timestamp is None]

    def _slot_message(self, pools: list[str]) -> str:
        storage = self.instance.event_log_storage
        holders = []
        for slot in storage.get_concurrency_info(pools[0]).claimed_slots:
            if slot.run_id == self.run_id:
                continue
            record = next(iter(self.instance.get_run_records(dg.RunsFilter(run_ids=[slot.run_id]))), None)
            if record is not None:
                run = record.dagster_run
                holders.append(f"{describe(run, run_process(self.instance, run), record.start_time)} "
                               f"[{run.job_name}, {run.status.value}]")
        held = "; ".join(holders) or "another run"
        return (f"waited {self.slot_wait:.0f} s for a slot of the Dagster pool '{pools[0]}', held by {held}: let it "
                "finish or cancel it in the Dagster UI, then run the refresh again "
                f"(env {SLOT_WAIT_ENV} sets the wait)")
