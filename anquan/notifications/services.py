"""Writes of the notification centre.

``notify`` is what every other part of the platform calls (through its receivers): it writes the
inbox rows and one Delivery per external send in one transaction and enqueues the background tasks
only after that transaction commits, so the caller never waits on a channel and never fails because
one is down.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from anquan.notifications import dispatch
from anquan.notifications.channels import DeliveryError, excerpt
from anquan.notifications.choices import (
    ROBOT_KINDS,
    Category,
    ChannelKind,
    DeliveryStatus,
    Level,
    Medium,
    default_enabled,
)
from anquan.notifications.models import Channel, Delivery, Notification, Preference, mask_url
from anquan.notifications.tasks import deliver
from anquan.org.access import Access, place_of_site
from anquan.org.choices import Role, ScopeLevel
from anquan.org.models import RoleAssignment, Site, User
from anquan.org.roles import NOTIFY_MANAGE
from anquan.platform import audit
from anquan.platform.attachments.models import Attachment

logger = logging.getLogger(__name__)

CHANNEL_FIELDS = (
    "name", "enabled", "smtp_host", "smtp_port", "smtp_username", "smtp_password", "smtp_use_tls",
    "smtp_use_ssl", "from_email", "webhook_url", "webhook_secret",
)  # fmt: skip
SECRET_FIELDS = ("smtp_password", "webhook_secret")
# Never shown back to anyone; an update that gives None for one of these keeps the stored value.
KEPT_IF_NONE = (*SECRET_FIELDS, "webhook_url")


# --- sending ----------------------------------------------------------------------------------
def notify(
    recipients: Iterable[User | int],
    category: str,
    title: str,
    body: str = "",
    link: str = "",
    level: str = Level.INFO,
    site_id: int | None = None,
    *,
    attachments: Sequence[Attachment] = (),
    defaults: Mapping[str, bool] | None = None,
) -> list[Notification]:
    """Notify ``recipients`` through the media their preferences (or the defaults) switch on.

    - inbox: one Notification per recipient (critical ones always, whatever the preference);
    - e-mail: one Delivery per recipient with an address, through the site's enabled e-mail channel,
      or the platform's SMTP server when the site has configured none; it carries ``attachments``
      (stored files, read when the mail is sent; see ``dispatch.mail_files`` for the size limit);
    - IM: one Delivery per enabled group robot of the site, if any recipient wants IM (never with
      files: the robots get the link).

    ``defaults`` replaces the built-in default of a medium for this message (e.g. a report one has
    subscribed to comes by e-mail even at level info); a person's own preference and the role
    defaults of the site still win. Inactive users are skipped. Returns the inbox rows written.
    """
    if category not in Category.values:
        raise ValueError(f"unknown notification category: {category!r}")
    if level not in Level.values:
        raise ValueError(f"unknown notification level: {level!r}")
    ids = {r.pk if isinstance(r, User) else int(r) for r in recipients}
    users = list(User.objects.filter(pk__in=ids, is_active=True).order_by("pk"))
    site = Site.objects.filter(pk=site_id).first() if site_id is not None else None
    wanted = effective_media(users, category, level, site, defaults)
    title, link = title[:200], link[:500]
    with transaction.atomic():
        inbox = Notification.objects.bulk_create(
            Notification(
                recipient=u, category=category, level=level, title=title, body=body, link=link, site=site
            )
            for u in users
            if wanted[u.pk][Medium.INBOX] or level == Level.CRITICAL
        )
        by_user = {n.recipient_id: n for n in inbox}
        content = {"category": category, "level": level, "title": title, "body": body, "link": link}
        deliveries: list[Delivery] = []
        mailers = [u for u in users if wanted[u.pk][Medium.EMAIL] and u.email]
        if mailers:
            usable, email_channel = _email_channel(site)
            if usable:
                deliveries += [
                    Delivery(
                        kind=ChannelKind.EMAIL,
                        channel=email_channel,
                        notification=by_user.get(u.pk),
                        site=site,
                        to_address=u.email,
                        **content,
                    )
                    for u in mailers
                ]
        if site is not None and any(wanted[u.pk][Medium.IM] for u in users):
            robots = Channel.objects.filter(site=site, kind__in=ROBOT_KINDS, enabled=True).order_by("pk")
            deliveries += [Delivery(kind=ch.kind, channel=ch, site=site, **content) for ch in robots]
        created = Delivery.objects.bulk_create(deliveries)
        if attachments:
            through = Delivery.attachments.through
            through.objects.bulk_create(
                through(delivery_id=d.pk, attachment_id=a.pk)
                for d in created
                if d.kind == ChannelKind.EMAIL
                for a in attachments
            )
        transaction.on_commit(partial(_enqueue, [d.pk for d in created]), robust=True)
    return inbox


def _email_channel(site: Site | None) -> tuple[bool, Channel | None]:
    """(may send, channel): the site's first enabled e-mail channel; the platform's server (None)
    when the site has none configured; no e-mail when all of the site's are switched off."""
    if site is None:
        return True, None
    configured = list(Channel.objects.filter(site=site, kind=ChannelKind.EMAIL).order_by("pk"))
    if not configured:
        return True, None
    enabled = [c for c in configured if c.enabled]
    return (True, enabled[0]) if enabled else (False, None)


def _enqueue(delivery_ids: list[int]) -> None:
    for pk in delivery_ids:
        try:
            deliver.enqueue(pk)
        except Exception:  # the queue being unavailable must not break the caller; the row stays pending
            logger.exception("could not enqueue delivery %s", pk)


def effective_media(
    users: list[User],
    category: str,
    level: str,
    site: Site | None,
    defaults: Mapping[str, bool] | None = None,
) -> dict[int, dict[str, bool]]:
    """For each user, whether each medium is on: own preference > role default at the site > the
    message's ``defaults`` > built-in."""
    defaults = defaults or {}
    own = {
        (p.user_id, p.medium): p.enabled for p in Preference.objects.filter(user__in=users, category=category)
    }
    by_role: dict[tuple[str, str], bool] = {}
    roles_of: dict[int, set[str]] = defaultdict(set)
    if site is not None:
        by_role = {
            (p.role, p.medium): p.enabled
            for p in Preference.objects.filter(user__isnull=True, site=site, category=category)
        }
        if by_role:
            for user_id, role in roles_at_site(users, site):
                roles_of[user_id].add(role)
    result: dict[int, dict[str, bool]] = {}
    for u in users:
        media: dict[str, bool] = {}
        for medium in Medium.values:
            if (u.pk, medium) in own:
                media[medium] = own[(u.pk, medium)]
                continue
            role_values = [by_role[(r, medium)] for r in roles_of[u.pk] if (r, medium) in by_role]
            if role_values:
                media[medium] = any(role_values)
            else:
                media[medium] = defaults.get(medium, default_enabled(medium, level))
        result[u.pk] = media
    return result


def roles_at_site(users: Iterable[User], site: Site) -> list[tuple[int, str]]:
    """(user id, role) for the roles the users hold at ``site`` or enterprise-wide above it."""
    return list(
        RoleAssignment.objects.filter(user__in=users)
        .filter(Q(site=site) | Q(level=ScopeLevel.ENTERPRISE, enterprise_id=site.enterprise_id))
        .values_list("user_id", "role")
        .distinct()
    )


# --- the inbox --------------------------------------------------------------------------------
def mark_read(user: Any, notification: Notification) -> Notification:
    if notification.recipient_id != getattr(user, "pk", None):
        raise PermissionDenied(_("您没有执行此操作的权限。"))
    if notification.read_at is None:
        notification.read_at = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
            read_at=notification.read_at
        )
    return notification


def mark_all_read(user: Any) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(read_at=timezone.now())


# --- preferences ------------------------------------------------------------------------------
@dataclass(frozen=True)
class PreferenceChange:
    category: str
    medium: str
    enabled: bool | None  # None: remove the row, so the role default or the built-in one applies


def set_preferences(
    actor: Any,
    changes: Iterable[PreferenceChange],
    *,
    user: User | None = None,
    role: str = "",
    site: Site | None = None,
) -> None:
    """Set a user's own preferences, or (with NOTIFY_MANAGE at ``site``) a role's defaults there.

    All changes are written together or not at all.
    """
    changes = list(changes)
    if (user is None) == (not role):
        raise TypeError("give either user or role (with site)")
    if user is not None:
        if actor is not None and getattr(actor, "pk", None) != user.pk:
            raise PermissionDenied(_("只能修改自己的通知偏好。"))
    else:
        if role not in Role.values:
            raise ValidationError({"role": _("未知的角色：%(role)s") % {"role": role}})
        if site is None:
            raise ValidationError({"site": _("请选择场所。")})
        if actor is not None:
            Access.of(actor).require(NOTIFY_MANAGE, place_of_site(site))
    errors: dict[str, list[str]] = {}
    for change in changes:
        if change.category not in Category.values:
            errors.setdefault("category", []).append(_("未知的类别：%(v)s") % {"v": change.category})
        if change.medium not in Medium.values:
            errors.setdefault("medium", []).append(_("未知的方式：%(v)s") % {"v": change.medium})
    if errors:
        raise ValidationError(errors)
    owner = {"user": user} if user is not None else {"user": None, "role": role, "site": site}
    with transaction.atomic():
        for change in changes:
            _set_one(actor, owner, change)


def set_preference(
    actor: Any,
    *,
    category: str,
    medium: str,
    enabled: bool | None,
    user: User | None = None,
    role: str = "",
    site: Site | None = None,
) -> None:
    set_preferences(actor, [PreferenceChange(category, medium, enabled)], user=user, role=role, site=site)


def _set_one(actor: Any, owner: dict[str, Any], change: PreferenceChange) -> None:
    row = Preference.objects.filter(category=change.category, medium=change.medium, **owner).first()
    if change.enabled is None:
        if row is not None:
            audit.record_delete(actor, row)
            row.delete()
        return
    if row is None:
        row = Preference.objects.create(
            category=change.category, medium=change.medium, enabled=change.enabled, **owner
        )
        audit.record_create(actor, row)
    elif row.enabled != change.enabled:
        before = audit.snapshot(row)
        row.enabled = change.enabled
        row.save(update_fields=["enabled", "updated_at"])
        audit.record_update(actor, row, before)


# --- channels ---------------------------------------------------------------------------------
def _require_manage(actor: Any, site: Site) -> None:
    if actor is not None:
        Access.of(actor).require(NOTIFY_MANAGE, place_of_site(site))


def _snapshot(channel: Channel) -> dict[str, Any]:
    """The audit snapshot with the webhook address masked too (it carries the robot's credential)."""
    data = audit.snapshot(channel)
    data["webhook_url"] = mask_url(channel.webhook_url)
    return data


def _stars(secret: str) -> str:
    return "***" if secret else ""


def _check_name_free(channel: Channel) -> None:
    taken = Channel.objects.filter(site_id=channel.site_id, name=channel.name).exclude(pk=channel.pk)
    if channel.name and taken.exists():
        raise ValidationError({"name": _("本场所已有名为“%(name)s”的渠道。") % {"name": channel.name}})


def _check_fields(given: dict[str, Any]) -> None:
    unknown = set(given) - set(CHANNEL_FIELDS)
    if unknown:
        raise TypeError(f"unknown channel fields: {sorted(unknown)}")


def create_channel(actor: Any, *, site: Site, kind: str, name: str, **fields: Any) -> Channel:
    _check_fields(fields)
    _require_manage(actor, site)
    if kind not in ChannelKind.values:
        raise ValidationError({"kind": _("未知的渠道类型：%(kind)s") % {"kind": kind}})
    with transaction.atomic():
        channel = Channel(site=site, kind=kind, name=name.strip(), **fields)
        _check_name_free(channel)
        channel.full_clean()
        channel.save()
        audit.record(actor, audit.AuditAction.CREATE, channel, _snapshot(channel))
    return channel


def update_channel(actor: Any, channel: Channel, **changes: Any) -> Channel:
    """Change a channel. A secret (or the webhook address) given as None is kept; "" removes it."""
    _check_fields(changes)
    _require_manage(actor, channel.site)
    changes = {k: v for k, v in changes.items() if not (k in KEPT_IF_NONE and v is None)}
    with transaction.atomic():
        before = _snapshot(channel)
        old_secrets = {f: getattr(channel, f) for f in KEPT_IF_NONE}
        for field, value in changes.items():
            setattr(channel, field, value.strip() if field == "name" else value)
        _check_name_free(channel)
        channel.full_clean()
        channel.save()
        # Secrets are hidden in snapshots, so a changed secret is recorded explicitly (still hidden).
        changes_seen = audit.diff(before, _snapshot(channel))
        for field, old in old_secrets.items():
            new = getattr(channel, field)
            if new != old:
                hide = mask_url if field == "webhook_url" else _stars
                changes_seen[field] = [hide(old), hide(new)]
        if changes_seen:
            audit.record(actor, audit.AuditAction.UPDATE, channel, changes_seen)
    return channel


def delete_channel(actor: Any, channel: Channel) -> None:
    """Remove a channel. Its delivery log stays; deliveries still waiting fail as "removed"."""
    _require_manage(actor, channel.site)
    with transaction.atomic():
        audit.record(actor, audit.AuditAction.DELETE, channel, _snapshot(channel))
        channel.delete()


def send_test_message(actor: Any, channel: Channel, *, to: str = "") -> Delivery:
    """Send a test message through ``channel`` now and record it in the delivery log.

    E-mail goes to ``to``, or to the actor's own address. The channel may be switched off (so it can
    be tried before it is switched on). Returns the delivery, sent or failed; never retried.
    """
    _require_manage(actor, channel.site)
    to = to.strip()
    if channel.kind == ChannelKind.EMAIL:
        to = to or (getattr(actor, "email", "") or "")
        if not to:
            raise ValidationError({"to": _("请填写接收测试邮件的邮箱地址。")})
        try:
            validate_email(to)
        except ValidationError as exc:
            raise ValidationError({"to": _("请输入有效的邮箱地址。")}) from exc
    who = str(actor) if actor is not None else "Anquan"
    with transaction.atomic():
        delivery = Delivery.objects.create(
            kind=channel.kind,
            channel=channel,
            site=channel.site,
            to_address=to if channel.kind == ChannelKind.EMAIL else "",
            category=Category.SYSTEM,
            level=Level.INFO,
            title=_("测试消息：%(name)s") % {"name": channel.name},
            body=_("这是来自安全生产平台的测试消息，由 %(who)s 发送。收到即表示渠道配置正确。")
            % {"who": who},
            attempts=1,
        )
        audit.record_create(actor, delivery)
    try:
        response = dispatch.send(delivery, allow_disabled=True)
    except DeliveryError as exc:
        delivery.status = DeliveryStatus.FAILED
        delivery.last_error = str(exc)[:2000]
        delivery.response = excerpt(exc.response)
    else:
        delivery.status = DeliveryStatus.SENT
        delivery.sent_at = timezone.now()
        delivery.response = excerpt(response)
    delivery.save(update_fields=["status", "last_error", "response", "sent_at", "updated_at"])
    return delivery
