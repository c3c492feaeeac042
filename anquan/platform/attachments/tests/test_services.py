"""Audit, events, deletion, rollback without orphans, and the registry's rules at the service level."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, connection, transaction

from anquan.platform import audit
from anquan.platform.attachments import selectors
from anquan.platform.attachments.events import AttachmentAdded, AttachmentDeleted
from anquan.platform.attachments.models import Attachment
from anquan.platform.attachments.services import delete_all_for, delete_attachment, store_upload
from anquan.platform.attachments.tests import samples
from anquan.platform.attachments.tests.samples import stored_files, upload
from anquan.platform.events import captured
from anquan.platform.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_upload_and_delete_are_audited_and_published(
    world: Any, media: Path, django_capture_on_commit_callbacks: Any
) -> None:
    leader, tank = world.user("leader_a1"), world.equipment["T-101"]

    with captured() as published:
        att = store_upload(leader, tank, upload("nameplate.jpg", samples.jpeg(gps=True)), "铭牌")
    created = AuditEntry.objects.order_by("-seq").first()
    assert created is not None
    assert (created.action, created.model, created.object_id, created.actor_name, created.site_id) == (
        "create",
        "platform.attachment",
        str(att.pk),
        "leader_a1",
        world.site_a.pk,
    )
    assert created.changes["file"] == att.file.name
    assert created.changes["thumbnail"] == att.thumbnail.name
    assert (created.changes["kind"], created.changes["owner_id"], created.changes["sha256"]) == (
        "image",
        tank.pk,
        att.sha256,
    )
    assert published == [
        AttachmentAdded(
            attachment_id=att.pk,
            owner_type="plant.equipment",
            owner_id=tank.pk,
            site_id=world.site_a.pk,
            kind="image",
            actor_id=leader.pk,
        )
    ]
    files = stored_files(media)
    assert len(files) == 2

    pk = att.pk
    with captured() as published, django_capture_on_commit_callbacks(execute=True):
        delete_attachment(leader, att)

    deleted = AuditEntry.objects.order_by("-seq").first()
    assert deleted is not None
    assert (deleted.action, deleted.object_id, deleted.actor_name) == ("delete", str(pk), "leader_a1")
    assert published == [
        AttachmentDeleted(
            attachment_id=pk,
            owner_type="plant.equipment",
            owner_id=tank.pk,
            site_id=world.site_a.pk,
            actor_id=leader.pk,
        )
    ]
    assert not Attachment.objects.filter(pk=pk).exists()
    assert stored_files(media) == []
    assert audit.verify().ok


def test_files_of_a_deleted_attachment_stay_until_the_deletion_commits(world: Any, media: Path) -> None:
    leader = world.user("leader_a1")
    att = store_upload(leader, world.equipment["T-101"], upload("m.pdf", samples.pdf()))
    pk, name = att.pk, att.file.name

    with pytest.raises(RuntimeError), transaction.atomic():
        delete_attachment(leader, att)
        raise RuntimeError("the caller's transaction fails after the delete")

    assert Attachment.objects.filter(pk=pk).exists()
    assert stored_files(media) == [name]


def _make_inserts_fail() -> None:
    """A real database failure on the next INSERT into the attachments table."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "CREATE FUNCTION anquan_test_refuse() RETURNS trigger AS $$ "
                "BEGIN RAISE EXCEPTION 'disk quota of the database exceeded'; END $$ LANGUAGE plpgsql"
            )
            cursor.execute(
                "CREATE TRIGGER anquan_test_refuse BEFORE INSERT ON platform_attachment "
                "FOR EACH ROW EXECUTE FUNCTION anquan_test_refuse()"
            )
        else:
            cursor.execute(
                "CREATE TRIGGER anquan_test_refuse BEFORE INSERT ON platform_attachment "
                "BEGIN SELECT RAISE(ABORT, 'disk quota of the database exceeded'); END"
            )


def test_a_failed_database_write_leaves_no_orphan_file(world: Any, media: Path) -> None:
    leader, tank = world.user("leader_a1"), world.equipment["T-101"]
    entries = AuditEntry.objects.count()
    _make_inserts_fail()

    with pytest.raises(DatabaseError):
        store_upload(leader, tank, upload("p.jpg", samples.jpeg()))
    with pytest.raises(DatabaseError):
        store_upload(leader, tank, upload("m.pdf", samples.pdf()))

    assert stored_files(media) == []
    assert AuditEntry.objects.count() == entries


def test_service_refuses_a_user_who_may_not_attach_and_stores_nothing(world: Any, media: Path) -> None:
    tank = world.equipment["T-101"]
    entries = AuditEntry.objects.count()
    for key in ("worker_a1", "operator_a", "admin_b", "worker_b1", "contractor_a", "leader_a1"):
        user = world.user(key)
        if key == "leader_a1":
            tank = world.equipment[
                "P-201"
            ]  # the team leader's grant covers the tank farm, not the pump house
        with pytest.raises(PermissionDenied) as exc:
            store_upload(user, tank, upload("p.pdf", samples.pdf()))
        assert str(exc.value) == "您没有为此记录上传或删除附件的权限。"
    assert stored_files(media) == []
    assert Attachment.objects.count() == 0
    assert AuditEntry.objects.count() == entries


def test_a_record_type_that_is_not_registered_cannot_own_attachments(world: Any, media: Path) -> None:
    with pytest.raises(ValidationError) as exc:
        store_upload(None, world.site_a, upload("m.pdf", samples.pdf()))
    assert exc.value.message_dict == {"owner": ["此类记录不能添加附件。"]}
    assert stored_files(media) == []


def test_visibility_follows_the_owner(world: Any) -> None:
    tank, west = world.equipment["T-101"], world.equipment["T-901"]
    a = store_upload(None, tank, upload("a.pdf", samples.pdf()))
    b = store_upload(None, west, upload("b.pdf", samples.pdf()))

    def seen(key: str) -> set[int]:
        return set(selectors.visible_attachments(world.user(key)).values_list("pk", flat=True))

    assert seen("worker_a1") == {a.pk}  # sees the tank farm's equipment
    assert seen("worker_a2") == set()  # pump-house team: not the tank
    assert seen("worker_b1") == {b.pk}
    assert seen("ehs") == {a.pk, b.pk}  # the enterprise
    assert seen("root") == {a.pk, b.pk}
    assert seen("contractor_a") == set()  # no plant view at all
    assert list(selectors.attachments_of(world.user("worker_b1"), tank)) == []
    assert list(selectors.attachments_of(world.user("worker_a1"), tank)) == [a]
    assert (a.uploaded_by, a.site_id) == (None, world.site_a.pk)


def test_delete_all_for_an_owner(world: Any, media: Path, django_capture_on_commit_callbacks: Any) -> None:
    leader, tank = world.user("leader_a1"), world.equipment["T-101"]
    store_upload(leader, tank, upload("a.pdf", samples.pdf()))
    store_upload(leader, tank, upload("b.jpg", samples.jpeg()))
    other = store_upload(None, world.equipment["T-901"], upload("c.pdf", samples.pdf()))

    with pytest.raises(PermissionDenied):
        delete_all_for(world.user("worker_a1"), tank)
    assert Attachment.objects.count() == 3

    with django_capture_on_commit_callbacks(execute=True):
        assert delete_all_for(leader, tank) == 2

    assert list(Attachment.objects.all()) == [other]
    assert stored_files(media) == [other.file.name]
    assert AuditEntry.objects.filter(model="platform.attachment", action="delete").count() == 2
