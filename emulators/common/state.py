"""One emulator instance's mutable state: accepted tokens, fault modes, rate-limit windows, request statistics.

Faults every vendor has (`/_emulator/faults` keys): `rate_limit_burst` (the next N API requests answer the
vendor's rate-limit refusal, policy `rate_limit_policy`), `server_errors` (the next N answer a 5xx:
`server_error_status`, or the vendor's default statuses in turn), `slow_seconds` (each API request waits first),
`expired_token` (the tokens accepted so far answer the vendor's expired-token 401; tokens accepted later work),
`reset`; plus the vendor's own (`Vendor.faults`, e.g. an added field). Thread-safe: uvicorn's loop and the test
thread both touch it.
"""

from __future__ import annotations

import hmac
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any

from starlette.requests import Request

from emulators.common.vendor import ApiError, RateWindow, Vendor

_REQUEST_ID_NAMESPACE = uuid.UUID("5f1b8a52-0c1e-4d0e-9a57-6d7f3c9e2b10")
COMMON_FAULTS = ("rate_limit_burst", "rate_limit_policy", "server_errors", "server_error_status", "slow_seconds",
                 "expired_token")


class EmulatorState:
    """Faults, rate limiting, tokens and statistics of one emulator; `store` and `options` are the vendor's.

    `windows` are the rate limits enforced (none: unlimited); `fault_defaults` override the defaults of the
    vendor's fault keys for this instance (what `reset` returns to); `on_faults(faults)` runs after each change.
    """

    def __init__(
        self,
        vendor: Vendor,
        tokens: Iterable[str],
        *,
        store: Any = None,
        windows: Iterable[RateWindow] = (),
        fault_defaults: dict[str, Any] | None = None,
        on_faults: Callable[[dict[str, Any]], None] | None = None,
        options: dict[str, Any] | None = None,
    ):
        self.vendor = vendor
        self.store = store
        self.options = dict(options or {})
        self.windows = tuple(windows)
        self._lock = threading.RLock()
        self._tokens: dict[bytes, bool] = {}  # token -> expired
        for token in tokens:
            self.accept_token(token)
        self._fault_defaults = {key: fault.default for key, fault in vendor.faults.items()}
        self._fault_defaults.update(fault_defaults or {})
        self._on_faults = on_faults
        self._horizon = max([vendor.rate_horizon_seconds] + [w.seconds for w in self.windows if w.seconds])
        self._recent: deque[tuple[float, str | None]] = deque()
        self._passed: dict[str | None, int] = {}  # requests let through, per group (None: all)
        self._sequence = 0
        self._server_error_count = 0
        self.faults: dict[str, Any] = {}
        self.reset_faults()
        self.stats: dict[str, dict[str, int]] = {}
        self.route_stats: dict[str, dict[str, int]] = {}
        self.status_totals: dict[str, int] = {}
        self.total = 0

    # ------------------------------------------------------------ request ids and tokens
    def correlation_id(self) -> str:
        """The next request id: a UUID numbered per emulator, the same in every run."""
        with self._lock:
            self._sequence += 1
            return str(uuid.uuid5(_REQUEST_ID_NAMESPACE, str(self._sequence)))

    def accept_token(self, token: str) -> None:
        """Makes `token` valid (an OAuth token endpoint issuing a new access token calls this)."""
        with self._lock:
            self._tokens[token.encode()] = False

    def auth_problem(self, request: Request) -> str | None:
        """None when the request carries a valid token; else "missing", "invalid" or "expired"."""
        presented = self.vendor.auth(request)
        if presented is None:
            return "missing"
        with self._lock:
            for token, expired in self._tokens.items():
                if hmac.compare_digest(presented.encode(), token):
                    return "expired" if expired else None
        return "invalid"

    # ------------------------------------------------------------ faults
    def reset_faults(self) -> None:
        with self._lock:
            self.faults = {
                "rate_limit_burst": 0,
                "rate_limit_policy": self.vendor.rate_policies[0],
                "server_errors": 0,
                "server_error_status": None,
                "slow_seconds": 0.0,
                "expired_token": False,
                **{key: _copy(value) for key, value in self._fault_defaults.items()},
            }
            self._server_error_count = 0
            for token in self._tokens:
                self._tokens[token] = False
            snapshot = dict(self.faults)
        if self._on_faults is not None:
            self._on_faults(snapshot)

    def set_faults(self, faults: dict[str, Any]) -> dict[str, Any]:
        """Applies `/_emulator/faults` keys (ApiError 400 naming the rule when one is wrong); returns all faults."""
        known = set(COMMON_FAULTS) | set(self.vendor.faults)
        unknown = set(faults) - known - {"reset"}
        if unknown:
            raise ApiError(400, f"Unknown fault keys: {sorted(unknown)}; known: {sorted(known)}")
        if faults.get("reset"):
            self.reset_faults()
        updates = self._parse_common(faults)
        for key, fault in self.vendor.faults.items():
            if key in faults:
                try:
                    updates[key] = fault.parse(faults[key])
                except ValueError as exc:
                    raise ApiError(400, f"{key} {exc}") from None
        with self._lock:
            self.faults.update(updates)
            if updates.get("expired_token") is not None:
                for token in self._tokens:
                    self._tokens[token] = updates["expired_token"]
            snapshot = dict(self.faults)
        if self._on_faults is not None:
            self._on_faults(snapshot)
        return snapshot

    def _parse_common(self, faults: dict[str, Any]) -> dict[str, Any]:
        updates: dict[str, Any] = {}
        for key in ("rate_limit_burst", "server_errors"):
            if key in faults:
                if not isinstance(faults[key], int) or isinstance(faults[key], bool) or faults[key] < 0:
                    raise ApiError(400, f"{key} must be a non-negative integer")
                updates[key] = faults[key]
        if "rate_limit_policy" in faults:
            if faults["rate_limit_policy"] not in self.vendor.rate_policies:
                raise ApiError(400, f"rate_limit_policy must be one of {sorted(self.vendor.rate_policies)}")
            updates["rate_limit_policy"] = faults["rate_limit_policy"]
        if "server_error_status" in faults:
            allowed = self.vendor.server_error_statuses
            if faults["server_error_status"] not in (None, *allowed):
                default = "/".join(str(s) for s in self.vendor.default_server_errors)
                choices = ", ".join(str(s) for s in allowed[:-1]) + f" or {allowed[-1]}"
                raise ApiError(400, f"server_error_status must be null (alternate {default}), {choices}")
            updates["server_error_status"] = faults["server_error_status"]
        if "slow_seconds" in faults:
            slow = faults["slow_seconds"]
            if not isinstance(slow, (int, float)) or isinstance(slow, bool) or slow < 0:
                raise ApiError(400, "slow_seconds must be a non-negative number")
            updates["slow_seconds"] = float(slow)
        if "expired_token" in faults:
            if not isinstance(faults["expired_token"], bool):
                raise ApiError(400, "expired_token must be true or false")
            updates["expired_token"] = faults["expired_token"]
        return updates

    def current_faults(self) -> dict[str, Any]:
        with self._lock:
            return dict(self.faults)

    def take_server_error(self) -> int | None:
        with self._lock:
            if self.faults["server_errors"] <= 0:
                return None
            self.faults["server_errors"] -= 1
            self._server_error_count += 1
            forced = self.faults["server_error_status"]
            if forced is not None:
                return forced
            cycle = self.vendor.default_server_errors
            return cycle[(self._server_error_count - 1) % len(cycle)]

    # ------------------------------------------------------------ rate limits
    def take_rate_limit(self, group: str | None = None) -> str | None:
        """The policy of a refusal to answer now, or None (and the request counts against the windows)."""
        now = time.monotonic()
        with self._lock:
            if self.faults["rate_limit_burst"] > 0:
                self.faults["rate_limit_burst"] -= 1
                return self.faults["rate_limit_policy"]
            self._expire(now)
            for window in self.windows:
                if window.group is not None and window.group != group:
                    continue
                if self._count(now, window.seconds, window.group) >= window.limit:
                    return window.policy
            self._recent.append((now, group))
            self._passed[None] = self._passed.get(None, 0) + 1
            if group is not None:
                self._passed[group] = self._passed.get(group, 0) + 1
            return None

    def _expire(self, now: float) -> None:
        while self._recent and self._recent[0][0] <= now - self._horizon:
            self._recent.popleft()

    def _count(self, now: float, seconds: float | None, group: str | None) -> int:
        if seconds is None:
            return self._passed.get(group, 0)
        return sum(1 for t, g in self._recent if t > now - seconds and (group is None or g == group))

    def used(self, seconds: float | None, group: str | None = None) -> int:
        """Requests let through in the last `seconds` (None: ever), of `group` when named."""
        now = time.monotonic()
        with self._lock:
            self._expire(now)
            return self._count(now, seconds, group)

    def seconds_until_free(self, seconds: float) -> float:
        """How long until the oldest request of the last `seconds` leaves that window (0 when none is in it)."""
        now = time.monotonic()
        with self._lock:
            inside = [t for t, _ in self._recent if t > now - seconds]
        return max(0.0, inside[0] + seconds - now) if inside else 0.0

    def window(self, policy: str) -> RateWindow | None:
        return next((w for w in self.windows if w.policy == policy), None)

    # ------------------------------------------------------------ statistics
    def record(self, path: str, status: int, route: str | None = None) -> None:
        key = str(status)
        with self._lock:
            per_path = self.stats.setdefault(path, {})
            per_path[key] = per_path.get(key, 0) + 1
            if route is not None:
                per_route = self.route_stats.setdefault(route, {})
                per_route[key] = per_route.get(key, 0) + 1
            self.status_totals[key] = self.status_totals.get(key, 0) + 1
            self.total += 1

    def stats_snapshot(self) -> dict[str, Any]:
        """{"total": n, "statuses": {"200": n}, "paths": {path: {"200": n}}} and, when routes are counted,
        "routes": {"/api/v1/deals/{id}/changelog": {"200": n}}."""
        with self._lock:
            snapshot: dict[str, Any] = {
                "total": self.total,
                "statuses": dict(self.status_totals),
                "paths": {path: dict(counts) for path, counts in sorted(self.stats.items())},
            }
            if self.route_stats:
                snapshot["routes"] = {route: dict(c) for route, c in sorted(self.route_stats.items())}
            return snapshot

    def reset_stats(self) -> None:
        with self._lock:
            self.stats.clear()
            self.route_stats.clear()
            self.status_totals.clear()
            self.total = 0


def _copy(value: Any) -> Any:
    return list(value) if isinstance(value, (list, tuple)) else dict(value) if isinstance(value, dict) else value
