"""A small, bounded load generator over loopback HTTP/1.1.

N workers, each on its own keep-alive connection, send the scenario's calls in turn (one shared
round-robin, so every worker asks for different people) and record each latency. A run is bounded
twice: it stops at `duration` seconds or after `max_requests` measured requests, whichever comes
first, and every request has a timeout. A warm-up (same connections, not recorded) precedes it.

Two clients:
- `raw` (the default): an `asyncio.Protocol` that writes pre-rendered request bytes and parses the
  response itself (Content-Length or chunked). On a 2-core machine the client shares the CPU with
  the server, so it must be cheap: measured here, it spends a small fraction of httpx's CPU time
  per request (`client CPU` in the report says how much a run used).
- `httpx`: `httpx.AsyncClient` with one pooled connection per worker, for comparison.
"""

from __future__ import annotations

import asyncio
import itertools
import math
import time
from array import array
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from bench.scenarios import Call

REQUEST_TIMEOUT = 30.0


@dataclass
class LoadResult:
    concurrency: int
    requests: int = 0  # completed inside the measured window, any status
    errors: int = 0  # transport failures, timeouts and non-2xx statuses
    refused: int = 0  # 2xx whose body lacks the scenario's success marker
    elapsed: float = 0.0
    client_cpu: float = 0.0  # seconds of this process's CPU during the measured window
    cpu: dict[str, float] = field(default_factory=dict)  # seconds per meter (`run_load`'s) during the measured window
    latencies_ns: array = field(default_factory=lambda: array("q"))  # type: ignore[type-arg]

    @property
    def rps(self) -> float:
        return self.requests / self.elapsed if self.elapsed > 0 else 0.0

    def percentile_ms(self, p: float) -> float:
        """Nearest-rank percentile of the recorded latencies, in milliseconds."""
        if not self.latencies_ns:
            return float("nan")
        ordered = sorted(self.latencies_ns)
        rank = max(0, min(len(ordered), math.ceil(p / 100 * len(ordered))) - 1)
        return ordered[rank] / 1e6

    @property
    def cpu_per_request_us(self) -> float:
        return self.client_cpu / self.requests * 1e6 if self.requests else float("nan")

    def metered_per_request_us(self, meter: str) -> float | None:
        """A meter's CPU per measured request, in µs; None without that meter or without requests."""
        return self.cpu[meter] / self.requests * 1e6 if meter in self.cpu and self.requests else None


def render(host: str, port: int, call: Call) -> bytes:
    """The HTTP/1.1 request bytes of one call (headers are ASCII: tokens, JSON media type)."""
    lines = [
        f"POST {call.path} HTTP/1.1",
        f"host: {host}:{port}",
        "content-type: application/json",
        f"content-length: {len(call.body)}",
        *(f"{name}: {value}" for name, value in call.headers),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + call.body


class _Connection(asyncio.Protocol):
    """One keep-alive HTTP/1.1 connection with at most one request in flight."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.waiter: asyncio.Future[tuple[int, bytes, bool]] | None = None
        self.closed = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(ConnectionError("the server closed the connection"))

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if self.waiter is None or self.waiter.done():
            return
        parsed = _parse(self.buffer)
        if parsed is not None:
            self.waiter.set_result(parsed)

    async def request(self, raw: bytes) -> tuple[int, bytes, bool]:
        assert self.transport is not None
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(raw)
        return await self.waiter

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


def _parse(buffer: bytearray) -> tuple[int, bytes, bool] | None:
    """(status, body, server closes) of a complete response at the buffer's start, consumed; or None."""
    end = buffer.find(b"\r\n\r\n")
    if end < 0:
        return None
    lines = bytes(buffer[:end]).split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    length, chunked, close = 0, False, False
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding":
            chunked = b"chunked" in value.lower()
        elif name == b"connection":
            close = value.strip().lower() == b"close"
    start = end + 4
    if not chunked:
        if len(buffer) < start + length:
            return None
        body = bytes(buffer[start : start + length])
        del buffer[: start + length]
        return status, body, close
    parts: list[bytes] = []
    position = start
    while True:
        line_end = buffer.find(b"\r\n", position)
        if line_end < 0:
            return None
        size = int(bytes(buffer[position:line_end]).split(b";")[0], 16)
        if size == 0:
            trailer_end = buffer.find(b"\r\n\r\n", line_end)  # no trailers: the empty line follows
            if trailer_end < 0:
                return None
            del buffer[: trailer_end + 4]
            return status, b"".join(parts), close
        chunk_start = line_end + 2
        if len(buffer) < chunk_start + size + 2:
            return None
        parts.append(bytes(buffer[chunk_start : chunk_start + size]))
        position = chunk_start + size + 2


@dataclass
class _Run:
    """Shared state of one load run: the phase, the bounds and what was recorded."""

    result: LoadResult
    max_requests: int
    ok_marker: bytes | None
    measuring: bool = False
    stopping: bool = False
    measure_start: int = 0
    deadline: int = 0
    started: int = 0  # requests started in the measured phase (the request bound)
    last_end: int = 0

    def take(self) -> bool:
        """May a worker start another request? Counts it against the bound when measuring."""
        if self.stopping:
            return False
        if self.measuring:
            if self.started >= self.max_requests:
                return False
            self.started += 1
        return True

    def record(self, began: int, ended: int, status: int, body: bytes) -> None:
        if not self.measuring or began < self.measure_start or ended > self.deadline:
            return
        result = self.result
        self.last_end = max(self.last_end, ended)
        result.requests += 1
        result.latencies_ns.append(ended - began)
        if not 200 <= status < 300:
            result.errors += 1
        elif self.ok_marker is not None and self.ok_marker not in body:
            result.refused += 1

    def failed(self, began: int) -> None:
        if self.measuring and began >= self.measure_start:
            self.result.errors += 1


async def _raw_worker(host: str, port: int, raws: itertools.cycle[bytes], run: _Run, timeout: float) -> None:
    loop = asyncio.get_running_loop()
    connection: _Connection | None = None
    clock = time.perf_counter_ns
    try:
        while run.take():
            if connection is None or connection.closed:
                _, connection = await loop.create_connection(_Connection, host, port)
            raw = next(raws)
            began = clock()
            try:
                async with asyncio.timeout(timeout):
                    status, body, close = await connection.request(raw)
            except (TimeoutError, ConnectionError, OSError):
                run.failed(began)
                connection.close()
                connection = None
                continue
            run.record(began, clock(), status, body)
            if close:
                connection.close()
                connection = None
    finally:
        if connection is not None:
            connection.close()


async def _httpx_worker(client: object, base: str, calls: itertools.cycle[Call], run: _Run, timeout: float) -> None:
    import httpx

    assert isinstance(client, httpx.AsyncClient)
    clock = time.perf_counter_ns
    while run.take():
        call = next(calls)
        began = clock()
        try:
            response = await client.post(
                base + call.path,
                content=call.body,
                timeout=timeout,
                headers={"content-type": "application/json", **dict(call.headers)},
            )
        except httpx.HTTPError:
            run.failed(began)
            continue
        run.record(began, clock(), response.status_code, response.content)


async def run_load(
    host: str,
    port: int,
    calls: Sequence[Call],
    *,
    concurrency: int,
    duration: float,
    warmup: float = 1.0,
    max_requests: int = 200_000,
    ok_marker: bytes | None = None,
    client: str = "raw",
    timeout: float = REQUEST_TIMEOUT,
    meters: Mapping[str, Callable[[], float]] | None = None,
) -> LoadResult:
    """Drives http://host:port with `concurrency` workers: `warmup` seconds unrecorded, then at most
    `duration` seconds and `max_requests` requests recorded. `meters` (name -> cumulative CPU seconds
    of something, e.g. the server's processes) are read as the measured window opens and closes."""
    meters = meters or {}
    run = _Run(LoadResult(concurrency=concurrency), max_requests=max_requests, ok_marker=ok_marker)
    if client == "raw":
        raws = itertools.cycle([render(host, port, call) for call in calls])
        workers = [_raw_worker(host, port, raws, run, timeout) for _ in range(concurrency)]
        closer = None
    elif client == "httpx":
        import httpx

        pool = httpx.AsyncClient(
            limits=httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        )
        cycle = itertools.cycle(calls)
        workers = [_httpx_worker(pool, f"http://{host}:{port}", cycle, run, timeout) for _ in range(concurrency)]
        closer = pool
    else:
        raise ValueError(f"client must be raw or httpx, not {client!r}")

    clock = time.perf_counter_ns
    tasks = [asyncio.ensure_future(worker) for worker in workers]
    try:
        await asyncio.sleep(warmup)
        # The meters outside the client's own CPU reading: walking /proc is this process's work, not the load's.
        metered = {name: meter() for name, meter in meters.items()}
        cpu = time.process_time()
        run.measure_start = clock()
        run.deadline = run.measure_start + int(duration * 1e9)
        run.measuring = True
        while clock() < run.deadline and run.started < max_requests:
            await asyncio.sleep(min(0.05, max(0.0, (run.deadline - clock()) / 1e9)))
        if run.started >= max_requests:  # bounded by count: the last requests still count
            run.deadline = clock() + int(timeout * 1e9)
            run.stopping = True
            await asyncio.wait(tasks, timeout=timeout + 1)
            ended = run.last_end or clock()
        else:  # bounded by time: what ends after the deadline does not count
            ended = run.deadline
            run.stopping = True
        run.result.client_cpu = time.process_time() - cpu
        run.result.cpu = {name: meter() - metered[name] for name, meter in meters.items()}
        run.result.elapsed = (ended - run.measure_start) / 1e9
        await asyncio.wait(tasks, timeout=timeout + 1)
    finally:
        run.stopping = True
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if closer is not None:
            await closer.aclose()
    return run.result
