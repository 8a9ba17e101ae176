"""Group commit: what concurrent requests hand in is written together, one round trip and one commit for all.

A single writer task takes every item queued meanwhile (up to ``max_batch``) and hands the batch to ``write``;
each caller waits for its own answer. The event store's appends (services/kernel/store.py) and the credential
ledger (services/kernel/credential.py) write this way: under load many commands share one fsync.

``in_flight`` batches may be written at once (the ledger: 1; the store: 2). With one, a batch is answered before
the next is taken, so items are written in the order they were handed in. With two, the next batch is taken as
soon as there is something to take and a slot is free, and is written while the first is still in PostgreSQL:
this process answers one batch's callers and takes their next items while PostgreSQL writes and commits the other
(measured in bench/appends.py). The two batches' items are independent callers' — a caller waits for its answer
before it hands in its next item — so which commits first is theirs to race for, as between two instances of a
service; the store's append lock still makes their positions visible in commit order.

The writer is the only path from a caller to the database: if it ended, every later caller would wait forever.
So nothing ends it but ``aclose``: a failed batch fails its own callers (what its write needs to recover is its
own to do: the store drops that batch's connection, PostgreSQL may be gone), and a writer found ended all the
same is started again, loudly.
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


class GroupWriter(Generic[T, R]):
    """Items from concurrent callers, written in batches by one task (see the module's docstring)."""

    def __init__(self, write: Write[T, R], *, name: str, closing: Callable[[], BaseException],
                 max_batch: int = 256, in_flight: int = 1) -> None:
        """``closing`` makes the error of a caller still waiting when the writer is closed (a retry is safe);
        ``in_flight``: batches written at once (each ``write`` call then needs its own connection)."""
        if in_flight < 1:
            raise ValueError("in_flight: at least one batch must be written at a time")
        self._write, self._closing = write, closing
        self.name, self.max_batch, self.in_flight = name, max_batch, in_flight
        self._queue: asyncio.Queue[Waiting[T, R]] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    @property
    def queued(self) -> int:
        """Items handed in and not yet taken into a batch."""
        return self._queue.qsize()

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
        slots = asyncio.Semaphore(self.in_flight)
        writing: set[asyncio.Task[None]] = set()

        def written(task: asyncio.Task[None]) -> None:
            writing.discard(task)
            slots.release()

        try:
            while True:
                await slots.acquire()
                batch = [await self._queue.get()]
                # What is queued is shared out among the free slots: callers that arrived together (a closed loop
                # of writers answered by one batch) are then written as two batches, one answered while the other
                # is in PostgreSQL, instead of one batch at a time.
                free = self.in_flight - len(writing)
                size = min(self.max_batch, -(-(1 + self._queue.qsize()) // free))
                while len(batch) < size and not self._queue.empty():
                    batch.append(self._queue.get_nowait())
                task = asyncio.create_task(self._batch(batch), name=f"{self.name}-batch")
                writing.add(task)
                task.add_done_callback(written)
        finally:  # closing: the batches still being written are cancelled, and their callers hear closing()
            for task in writing:
                task.cancel()
            await asyncio.gather(*writing, return_exceptions=True)

    async def _batch(self, batch: list[Waiting[T, R]]) -> None:
        """Write one batch and answer each of its callers, whatever happens (nothing escapes but cancellation)."""
        try:
            again = await self._write(batch)
        except asyncio.CancelledError:
            _fail(batch, self._closing())
            raise
        except Exception as exc:  # the whole batch failed: every caller in it hears why
            log.exception("a %s batch of %d failed", self.name, len(batch))
            _fail(batch, exc)
            return
        for waiting in again:
            self._queue.put_nowait(waiting)


def _fail(batch: Sequence[Waiting[T, R]], exc: BaseException) -> None:
    for waiting in batch:
        waiting.fail(exc)
