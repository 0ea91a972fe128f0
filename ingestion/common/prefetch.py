"""Pages fetched ahead: a dlt resource's page generator runs in a thread of its own, a few pages ahead of the shaping.

A REST listing is a chain (the next page's cursor comes from the previous answer), so the only way to overlap the
HTTP wait with the work on a page is to let the chain run ahead of it: `prefetch(resource)` runs the resource's
generator (dlt's rest_api paginate, with its auth, paginator, response actions and the session's retries and
limiter untouched) in a background thread that puts each page on a bounded queue (`PAGES_AHEAD`), while dlt's
extract shapes the page before. Every listing of a source gets its own thread, so the listings also run at once.
What happens after the generator (processing steps, dlt's incremental, transformers) stays in dlt's thread, so a
cursor still advances only with the load of its package. An error of the fetching thread is raised in dlt's thread,
as if the generator had raised it; closing the generator (an error downstream) stops the thread.

Pages (lists) waiting on the queue when dlt asks for the next one are handed over as one list, and with `min_items`
the consumer waits for pages until the list holds that many items (or the listing ends): dlt's cost per yielded item
(table hints, a schema check, a write; ~1 ms) is paid once per batch, not once per page of 50 objects.
"""
from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from functools import wraps
from inspect import isgeneratorfunction
from typing import Any

from dlt.common.configuration.container import Container
from dlt.extract import DltResource

PAGES_AHEAD = 8  # pages a listing may fetch before the first of them is shaped: memory stays a few pages
_DONE = object()


class _Failed:
    def __init__(self, error: BaseException) -> None:
        self.error = error


class Prefetcher:
    """Iterates `pages` in a thread, at most `depth` items ahead of the consumer; counts what it did (for tests)."""

    def __init__(self, pages: Iterator[Any], depth: int = PAGES_AHEAD, name: str = "pages",
                 coalesce: bool = True, min_items: int = 0) -> None:
        self._pages = pages
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=max(1, depth))
        self._stop = threading.Event()
        # dlt's prefix: the thread sees the contexts (pipeline, source state) of the thread that started it
        self._thread = threading.Thread(
            target=self._run, name=f"{Container.thread_pool_prefix()}prefetch-{name}", daemon=True
        )
        self.coalesce = coalesce
        self.min_items = min_items  # a batch waits for pages until it holds this many items (or the end)
        self.fetched = 0  # items the thread has taken from `pages`
        self.handed = 0  # of them, given to the consumer
        self.batches = 0  # yields to the consumer (several waiting pages are one)

    def _put(self, item: Any) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _run(self) -> None:
        try:
            for page in self._pages:
                self.fetched += 1
                if not self._put(page):
                    break
            else:
                self._put(_DONE)
        except BaseException as error:  # noqa: BLE001 - handed to the consumer, raised there
            self._put(_Failed(error))
        finally:
            close = getattr(self._pages, "close", None)
            if close is not None:
                close()

    def _waiting(self, first: Any) -> tuple[Any, Any]:
        """`first` joined with the lists waiting behind it (and, below `min_items`, with the lists still to come);
        and the end mark or failure met, if any."""
        if not isinstance(first, list):
            return first, None
        batch = list(first)
        while True:
            try:
                item = self._queue.get_nowait() if len(batch) >= self.min_items else self._queue.get()
            except queue.Empty:
                return batch, None
            if item is _DONE or isinstance(item, _Failed) or not isinstance(item, list):
                return batch, item
            batch.extend(item)
            self.handed += 1

    def __iter__(self) -> Iterator[Any]:
        self._thread.start()
        try:
            ahead = None
            while True:
                item, ahead = (ahead, None) if ahead is not None else (self._queue.get(), None)
                if item is _DONE:
                    return
                if isinstance(item, _Failed):
                    raise item.error
                self.handed += 1
                item, ahead = self._waiting(item) if self.coalesce else (item, None)
                self.batches += 1
                yield item
        finally:  # exhausted, failed or closed early: let the thread finish and wait for it
            self._stop.set()
            self._thread.join()


def prefetched(gen: Any, depth: int = PAGES_AHEAD, name: str = "pages", coalesce: bool = True,
               on_start: Callable[[Prefetcher], None] | None = None, min_items: int = 0) -> Any:
    """`gen` (a generator function, as dlt keeps a resource's unevaluated generator, or a generator) run ahead."""

    def run(*args: Any, **kwargs: Any) -> Iterator[Any]:
        pages = gen(*args, **kwargs) if callable(gen) else gen
        fetcher = Prefetcher(iter(pages), depth, name, coalesce, min_items)
        if on_start is not None:
            on_start(fetcher)
        yield from fetcher

    if callable(gen):
        return wraps(gen)(run) if isgeneratorfunction(gen) else run
    return run()


def prefetch(resource: DltResource, depth: int = PAGES_AHEAD, coalesce: bool = True,
             on_start: Callable[[Prefetcher], None] | None = None, min_items: int = 0) -> DltResource:
    """Run `resource`'s page generator `depth` pages ahead in a thread of its own (as dlt's `parallelize()` swaps
    the generator of a resource for a wrapped one); returns the resource. `coalesce` False keeps the pages as the
    API gave them (a consumer whose requests depend on the size of what it is handed); `min_items`: see Prefetcher."""
    resource._pipe.replace_gen(prefetched(resource._pipe.gen, depth, resource.name, coalesce, on_start, min_items))
    return resource
