"""Rabt's sectors. Each package exports `SECTOR` (a hub.contract.Sector) from its __init__.py."""
