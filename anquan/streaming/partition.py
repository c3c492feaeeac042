"""Which stream worker evaluates the alarm rules of a tag.

Rules are partitioned by the connected component of the tags they read (a compound or deviation rule
joins its tags): a component belongs to partition ``min(tag_id) % partitions`` — the AlarmProcessor's
own ``partition_of``, so the map here always agrees with the rules each processor loads. Each worker
stores whatever it receives and forwards the accepted readings of tags owned by another partition to
that worker (topic ``<ANQUAN_INSTANCE>/_stream/partition/<k>``), so every rule sees all of its readings in one
process.
"""

from __future__ import annotations

from django.conf import settings

from anquan.monitoring.alarms.processor import partition_of, spec_of
from anquan.monitoring.models import AlarmRule


def topic(partition: int) -> str:
    return f"{settings.ANQUAN_INSTANCE}/_stream/partition/{partition}"


def tag_partitions(partitions: int) -> dict[int, int]:
    """tag id → partition, for every tag an enabled rule reads (tags no rule reads are absent)."""
    specs = [
        spec for spec in map(spec_of, AlarmRule.objects.filter(enabled=True).order_by("pk")) if spec.tags
    ]
    rule_partition = partition_of(specs, partitions)
    return {tag: rule_partition[spec.id] for spec in specs for tag in spec.tags}
