"""The connector registry: protocol → its package (manifest, config schema, coordinator).

Each protocol lives in ``connectors/<protocol>/``: ``manifest.py`` (PROTOCOL, LIBRARY, MODE),
``schema.py`` (``Config`` pydantic model, ``SECRET_FIELDS``, ``test_connection(config)``),
``coordinator.py`` (``Coordinator(connector_id, site_id, config, sink)`` with ``start()``/``stop()``;
none for HTTP, whose inbox the stream drains), ``client.py`` (the only module importing the
protocol library) and ``mapping.py`` (pure payload → readings). Modules are imported when first
used, so listing the protocols never loads a protocol library.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any


class ConnectorKind:
    """One protocol's package, its modules loaded on first use."""

    def __init__(self, package: str, *, has_coordinator: bool = True) -> None:
        self.package = package
        self.has_coordinator = has_coordinator

    def _module(self, name: str) -> ModuleType:
        return importlib.import_module(f"{self.package}.{name}")

    @property
    def manifest(self) -> ModuleType:
        return self._module("manifest")

    @property
    def schema(self) -> ModuleType:
        return self._module("schema")

    @property
    def coordinator(self) -> Any:
        """The Coordinator class, or None when the protocol has none (HTTP)."""
        return self._module("coordinator").Coordinator if self.has_coordinator else None

    def __repr__(self) -> str:
        return f"ConnectorKind({self.package!r})"


PROTOCOLS: dict[str, ConnectorKind] = {
    "mqtt": ConnectorKind("anquan.streaming.connectors.mqtt"),
    "http": ConnectorKind("anquan.streaming.connectors.http", has_coordinator=False),
    "opcua": ConnectorKind("anquan.streaming.connectors.opcua"),
    "modbus": ConnectorKind("anquan.streaming.connectors.modbus"),
}
