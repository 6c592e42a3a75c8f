"""Instructions a request, counted by valgrind's callgrind: `./dev bench --instructions N`.

Requests/s on a shared two-core machine wander by a third between the rounds of one run, so two
commits a few per cent apart cannot be told apart by the load. Callgrind counts the instructions the
CPU runs: the same for the same code and inputs, whatever else the machine is doing. For each read
scenario a child process sends its first call, one request at a time after a warm-up, under
callgrind twice: N ÷ 4 times and N times. The difference over the extra requests is one request's
count; the process's start, imports and warm-up cancel out. One at a time, each request writes an
audit append of its own, as `--calls` counts them (under load, requests share appends).

The child is this module: `python -m bench.instructions SPEC.json` (see `_child`).
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from bench.calls import asgi_post
from bench.scenarios import HUBS, UNAUDITED, Call, Scenario

WARMUP = 5
_COLLECTED = re.compile(r"Collected : (\d+)")


@dataclass(frozen=True)
class Counted:
    scenario: str
    shape: str
    server: str  # as `Scenario.server`: "floor" is the driver floor R of its shape
    instructions: float  # a request's


def available() -> bool:
    return shutil.which("valgrind") is not None


def collected(valgrind_output: str) -> int:
    """The instruction count callgrind reports when the program ends ("==PID== Collected : N")."""
    found = _COLLECTED.findall(valgrind_output)
    if not found:
        raise RuntimeError(f"callgrind reported no count:\n{valgrind_output[-2000:]}")
    return int(found[-1])


def count(
    chosen: Sequence[Scenario],
    env: Mapping[str, str],
    setup: Sequence[Call],
    requests: int,
    say: Callable[[str], None],
) -> list[Counted]:
    """Each scenario's instructions a request (the hub's reads and their floors)."""
    if not available():
        raise SystemExit("--instructions needs valgrind (Debian: apt-get install valgrind)")
    few = max(1, requests // 4)
    counted: list[Counted] = []
    with tempfile.TemporaryDirectory(prefix="rabt-instructions-") as scratch:
        for s in chosen:
            spec = Path(scratch) / "spec.json"
            spec.write_bytes(
                orjson.dumps(
                    {
                        "server": s.server,
                        "call": _call_json(s.calls[0]),
                        "setup": [_call_json(call) for call in setup] if s.server in HUBS else [],
                    }
                )
            )
            totals = [_run_child(spec, n, env) for n in (few, requests)]
            counted.append(Counted(s.name, s.shape, s.server, (totals[1] - totals[0]) / (requests - few)))
            say(f"instructions: {s.name}: {counted[-1].instructions:,.0f} a request")
    return counted


def table(counted: Sequence[Counted]) -> str:
    """The counts, with R's count over the row's (the share of the row's instructions the floor needs)."""
    floors = {c.shape: c.instructions for c in counted if c.server == "floor"}  # as bench.report's ÷R
    width = max(len("scenario"), *(len(c.scenario) for c in counted))
    lines = ["instructions a request (callgrind, one request at a time)", ""]
    lines.append(f"{'scenario':<{width}}  {'count':>12}  {'R ÷ row':>7}")
    lines.append("-" * len(lines[-1]))
    for c in counted:
        floor = floors.get(c.shape)
        share = f"{floor / c.instructions:.2f}" if floor else "—"
        lines.append(f"{c.scenario:<{width}}  {c.instructions:>12,.0f}  {share:>7}")
    return "\n".join(lines)


def _call_json(call: Call) -> dict[str, Any]:
    return {"path": call.path, "body": call.body.decode(), "headers": [list(header) for header in call.headers]}


def _call_from_json(item: dict[str, Any]) -> Call:
    return Call(item["path"], item["body"].encode(), tuple((name, value) for name, value in item["headers"]))


def _run_child(spec: Path, requests: int, env: Mapping[str, str]) -> int:
    done = subprocess.run(
        [
            "valgrind",
            "--tool=callgrind",
            "--callgrind-out-file=/dev/null",
            sys.executable,
            "-m",
            "bench.instructions",
            str(spec),
            str(requests),
        ],
        env={**env, "PYTHONHASHSEED": "0"},  # the same dict layouts, run to run
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"the callgrind child failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return collected(done.stderr)


async def _child(spec: dict[str, Any], requests: int) -> None:
    """Builds the scenario's server in this process (the hub from the environment, as the bench's
    hub process does, or a floor), sends the setup and the warm-up, then `requests` requests."""
    from hub.settings import Settings

    call = _call_from_json(spec["call"])
    if spec["server"] in HUBS:
        from bench.servers import unaudited
        from hub.web.app import create_app
        from hub.web.hub import Hub

        settings = Settings.from_env()
        app: Any = create_app(settings, Hub.build(settings))
        if spec["server"] == UNAUDITED:
            unaudited(app)
    else:
        from bench.floor import create_floor_app

        app = create_floor_app(os.environ["RABT_DATABASE_URL"], "driver" if spec["server"] == "floor" else "core")
    async with app.router.lifespan_context(app):
        for item in spec["setup"]:
            await asgi_post(app, _call_from_json(item))
        for _ in range(WARMUP + requests):
            status, body = await asgi_post(app, call)
            if status != 200 or b'"errors"' in body:
                raise RuntimeError(f"{call.path} answered {status}: {body[:500]!r}")


if __name__ == "__main__":
    asyncio.run(_child(orjson.loads(Path(sys.argv[1]).read_bytes()), int(sys.argv[2])))
