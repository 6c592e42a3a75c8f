"""`./dev bench`: drives a running hub (or the federated shape) over loopback HTTP and
compares it with the floor R, a bare endpoint that fetches the same data straight through the
database driver.

Modules, one concept each:
  scenarios.py  what is asked, by whom, with which IDs (documents, principals, request bodies)
                the reads twice: plain text (general path) and APQ hashes (compiled path)
  load.py       the bounded load generator (raw asyncio HTTP/1.1 keep-alive client, or httpx)
  floor.py      the floor R: a bare Starlette app over the driver (asyncpg / sqlite3) or SQLAlchemy Core
  servers.py    server processes on free loopback ports, their RSS over time
  probe.py      in-process checks: SQL statements per request, the floor's data equals the hub's
  report.py     the table and the target checks
  runner.py     one bench run from start to end
  cli.py        the `bench` subcommand's arguments
"""
