"""Group commit: what concurrent requests hand in is written together, one round trip and one commit for all.

A single writer task takes every item queued meanwhile (up to ``max_batch``) and hands the batch to ``write``;
each caller waits for its own answer. The event store's appends (services/kernel/store.py) and the credential
ledger (services/kernel/credential.py) write this way: under load many commands share one fsync.

The writer is the only path from a caller to the database: if it ended, every later caller would wait forever.
So nothing ends it but ``aclose``: a failed batch fails its own callers and ``recover`` runs (the store drops
its connection: PostgreSQL may be gone), an error raised while recovering is logged and survived too, and a
writer found ended all the same is started again, loudly. Every item of a batch is answered, one way or the
other, before the next batch is taken, so items are written in the order they were handed in.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")


@dataclass(slots=True, eq=False)
class Waiting(Generic[T, R]):
    """One caller's item and the answer it waits for."""

    item: T
    future: asyncio.Future[R]

    def answer(self, result: R) -> None:
        if not self.future.done():  # its caller was cancelled: the others' answers still go out
            self.future.set_result(result)

    def fail(self, exc: BaseException) -> None:
        if not self.future.done():
            self.future.set_exception(exc)


#: Writes a batch and answers each item in it; returns the items to queue again (written in a later batch).
Write = Callable[[list[Waiting[T, R]]], Awaitable[Sequence[Waiting[T, R]]]]


async def _nothing_to_recover() -> None:
    return None


class GroupWriter(Generic[T, R]):
    """Items from concurrent callers, written in batches by one task (see the module's docstring)."""

    def __init__(self, write: Write[T, R], *, name: str, closing: Callable[[], BaseException],
                 recover: Callable[[], Awaitable[None]] = _nothing_to_recover, max_batch: int = 256) -> None:
        """``closing`` makes the error of a caller still waiting when the writer is closed (a retry is safe);
        ``recover`` runs after a batch failed, before the next is taken."""
        self._write, self._closing, self._recover = write, closing, recover
        self.name, self.max_batch = name, max_batch
        self._queue: asyncio.Queue[Waiting[T, R]] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        if self._task is not None and self._task.done():
            # Cannot happen by design (the loop survives every error); if it ever does, say so loudly and
            # write on rather than leave this and every later caller waiting forever.
            ended = "cancelled" if self._task.cancelled() else self._task.exception() or "returned"
            log.error("the %s writer had ended (%r); starting it again", self.name, ended)
        if not self.running:
            self._task = asyncio.create_task(self._loop(), name=f"{self.name}-writer")

    async def submit(self, item: T) -> R:
        """Queue ``item`` for the next batch and wait for its answer (or the batch's error)."""
        if not self.running:
            self.start()
        waiting: Waiting[T, R] = Waiting(item, asyncio.get_running_loop().create_future())
        self._queue.put_nowait(waiting)
        return await waiting.future

    async def aclose(self) -> None:
        """Stop the writer; every caller still waiting hears ``closing()``."""
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None
        while not self._queue.empty():
            self._queue.get_nowait().fail(self._closing())

    async def _loop(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while len(batch) < self.max_batch and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            try:
                again = await self._write(batch)
            except asyncio.CancelledError:
                _fail(batch, self._closing())
                await self._recover()
                raise
            except Exception as exc:  # the whole batch failed: every caller in it hears why
                try:
                    log.exception("a %s batch of %d failed", self.name, len(batch))
                    await self._recover()
                except Exception:
                    log.exception("the %s writer's recovery failed too; carrying on", self.name)
                finally:
                    _fail(batch, exc)
                continue
            for waiting in again:
                self._queue.put_nowait(waiting)


def _fail(batch: Sequence[Waiting[T, R]], exc: BaseException) -> None:
    for waiting in batch:
        waiting.fail(exc)
