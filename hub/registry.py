"""Which sectors are installed. Named by module path so the hub never imports a sector statically.

Sectors of this repository are listed here, one line each; a sector that lives in another
repository registers itself under the `rabt.sectors` entry-point group instead.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from functools import cache
from importlib.metadata import entry_points

from hub.contract import Sector

BUILT_IN: tuple[str, ...] = (
    "sectors.passports",
    "sectors.traffic",
    "sectors.civil_affairs",
    "sectors.civil_defence",
)
ENTRY_POINT_GROUP = "rabt.sectors"


@cache
def installed_sectors() -> tuple[Sector, ...]:
    """Every installed sector, built-in first, then entry points in name order; names are unique."""
    found = [_load_module(path) for path in BUILT_IN]
    for entry in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        sector = entry.load()
        if not isinstance(sector, Sector):
            raise TypeError(f"entry point {entry.name!r} must name a hub.contract.Sector, not {type(sector)!r}")
        found.append(sector)
    _check_unique(found)
    return tuple(found)


def enabled_sectors(names: Sequence[str] | None) -> tuple[Sector, ...]:
    """The installed sectors named in settings (all of them when `names` is None)."""
    sectors = installed_sectors()
    if names is None:
        return sectors
    known = {sector.name: sector for sector in sectors}
    unknown = sorted(set(names) - set(known))
    if unknown:
        raise ValueError(f"unknown sectors {unknown}; installed: {sorted(known)}")
    return tuple(sector for sector in sectors if sector.name in names)


def sector_named(name: str) -> Sector:
    return enabled_sectors([name])[0]


def _load_module(path: str) -> Sector:
    sector = importlib.import_module(path).SECTOR
    if not isinstance(sector, Sector):
        raise TypeError(f"{path}.SECTOR must be a hub.contract.Sector")
    return sector


def _check_unique(sectors: Sequence[Sector]) -> None:
    # strawberry silently keeps the first of two same-named fields or types: refuse it here.
    for attribute in ("name", "field_name"):
        values = [getattr(sector, attribute) for sector in sectors]
        duplicates = sorted({value for value in values if values.count(value) > 1})
        if duplicates:
            raise ValueError(f"two sectors share the {attribute} {duplicates}")
