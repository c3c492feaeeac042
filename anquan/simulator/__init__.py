"""The plant simulator: believable, deterministic sensor data for a plant, with named faults.

Plain Python and numpy, no Django (an import-linter contract keeps it so): the demo's Django
adapter (``anquan.demo.simulate``) turns the database's plant into a ``PlantSpec``, plays faults
that people inject, and publishes through MQTT or HTTP.

    plant = Plant(spec, seed=1)
    plant.values(t_ms)                       # {tag code: value} at one instant
    plant.sample(np.arange(t0, t1, 10_000))  # {tag code: array}, vectorised
    plant.add_fault(Fault("h2_leak", "FV-404", start_ms, 7200, severity=1.0))
    ground_truth(plant, fault)               # what the fault did, tag by tag
    write_history(spec, "out/", seed=1, start_ms=t0, days=30, interval_s=10)
"""

from anquan.simulator.history import HistoryResult, write_history
from anquan.simulator.plant import Plant, decimals, every, window
from anquan.simulator.scenarios import SCENARIOS, Fault, applicable, check
from anquan.simulator.spec import Equipment, Link, PlantSpec, Tag
from anquan.simulator.truth import ground_truth

__all__ = [
    "SCENARIOS",
    "Equipment",
    "Fault",
    "HistoryResult",
    "Link",
    "Plant",
    "PlantSpec",
    "Tag",
    "applicable",
    "check",
    "decimals",
    "every",
    "ground_truth",
    "window",
    "write_history",
]
