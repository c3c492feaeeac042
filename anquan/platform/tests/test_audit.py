from __future__ import annotations

import pytest
from django.core.management import call_command

from anquan.org import services as org
from anquan.platform import audit
from anquan.platform.models import AuditEntry


@pytest.mark.django_db
def test_every_write_through_a_service_extends_the_chain_and_verifies() -> None:
    ent = org.create_enterprise(None, code="e1", name="企业一")
    org.create_site(None, enterprise=ent, code="s1", name="场所一")

    entries = list(AuditEntry.objects.order_by("seq"))
    assert [(e.seq, e.action, e.model) for e in entries] == [
        (1, "create", "org.enterprise"),
        (2, "create", "org.site"),
    ]
    assert entries[0].prev_hash == audit.GENESIS
    assert entries[1].prev_hash == entries[0].hash
    assert audit.verify().ok
    assert audit.verify().checked == 2


@pytest.mark.django_db
def test_verify_names_the_first_tampered_entry(world) -> None:  # type: ignore[no-untyped-def]
    total = AuditEntry.objects.count()
    victim = AuditEntry.objects.get(seq=5)
    AuditEntry.objects.filter(pk=victim.pk).update(object_repr="篡改")

    result = audit.verify()

    assert (result.ok, result.broken_seq, result.checked) == (False, 5, 4)
    assert result.reason == "content does not match its hash"
    assert total > 5


@pytest.mark.django_db
def test_verify_detects_a_deleted_entry_and_a_truncated_tail(world) -> None:  # type: ignore[no-untyped-def]
    last = AuditEntry.objects.order_by("-seq").first()
    assert last is not None
    AuditEntry.objects.filter(seq=3).delete()
    assert (audit.verify().broken_seq, audit.verify().reason) == (3, "entry #3 is missing")

    AuditEntry.objects.filter(seq__gte=3).delete()
    result = audit.verify()
    assert (result.broken_seq, result.checked) == (3, 2)
    assert result.reason == "entries after #2 were removed"


@pytest.mark.django_db
def test_update_records_only_changed_fields(world) -> None:  # type: ignore[no-untyped-def]
    from anquan.plant import services as plant

    tank = world.equipment["T-101"]
    plant.update_equipment(world.user("admin_a"), tank, manufacturer="兰州石化设备厂", name=tank.name)

    entry = AuditEntry.objects.order_by("-seq").first()
    assert entry is not None
    assert (entry.action, entry.model, entry.actor_name) == ("update", "plant.equipment", "admin_a")
    assert entry.changes == {"manufacturer": ["", "兰州石化设备厂"]}
    assert entry.site_id == world.site_a.pk


@pytest.mark.django_db
def test_audit_verify_command_exits_nonzero_and_names_the_entry(world, capsys) -> None:  # type: ignore[no-untyped-def]
    call_command("audit", "verify", verbosity=0)
    assert "审计链完整" in capsys.readouterr().out

    AuditEntry.objects.filter(seq=2).update(changes={"name": ["x", "y"]})
    with pytest.raises(SystemExit) as exc:
        call_command("audit", "verify", verbosity=0)
    assert exc.value.code == 1
    assert "第 2 条" in capsys.readouterr().err
