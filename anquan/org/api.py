"""The organisation's REST API: enterprises, sites, areas, teams, people and their roles.

A thin adapter: reads go through ``anquan.org.selectors`` (so the API sees exactly what the pages
see), writes through ``anquan.org.services``. A caller without the capability anywhere gets 403;
a record outside the caller's scope is 404, as if it did not exist; a reference in a request body
that the caller cannot see is a 400 field error on that field.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Annotated, Any, Literal, cast

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.functional import Promise as StrPromise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import Field, FilterLookup, FilterSchema, Query, Router, Schema, Status
from ninja.pagination import paginate

from anquan.org import selectors, services
from anquan.org.access import Access
from anquan.org.choices import Role, ScopeLevel
from anquan.org.models import Area, Enterprise, RoleAssignment, Site, Team, User
from anquan.org.roles import ORG_VIEW, PEOPLE_MANAGE, PEOPLE_VIEW
from anquan.platform.api import Page

router = Router(tags=["org"])

Language = Literal["zh-hans", "en"]
# A record id as a caller may send it: positive and within a 64-bit column, so that no lookup can
# overflow the database's integer (a 500) and a nonsensical id is a 422 on its field.
Id = Annotated[int, Field(ge=1, le=2**63 - 1)]

# Service errors name model fields; the API names the ids it takes.
FIELD_NAMES = {"enterprise": "enterprise_id", "site": "site_id", "area": "area_id", "team": "team_id"}


def doc(text: StrPromise) -> str:
    """An operation's summary or description, translated when the OpenAPI document is rendered."""
    return cast(str, text)


def viewer(request: HttpRequest) -> Any:
    """The authenticated user (bearer token or session)."""
    return request.auth  # type: ignore[attr-defined]


def require(request: HttpRequest, capability: str) -> Any:
    """The viewer, if the capability reaches anywhere at all; else 403."""
    user = viewer(request)
    Access.of(user).require(capability)
    return user


def pick(queryset: QuerySet[Any], pk: int | None, field: str) -> Any:
    """A record named in a request body, looked up in what the viewer may see; else a field error."""
    if pk is None:
        return None
    obj = queryset.filter(pk=pk).first()
    if obj is None:
        raise ValidationError({field: _("未找到该记录，或您无权访问。")})
    return obj


def ordered(queryset: QuerySet[Any]) -> QuerySet[Any]:
    """A list in a stable order, so pages neither skip nor repeat records.

    The model's default ordering, then the primary key; applied explicitly because Django drops
    ``Meta.ordering`` from aggregated (GROUP BY) querysets such as equipment with its tag count."""
    if queryset.query.order_by:
        return queryset
    return queryset.order_by(*(queryset.model._meta.ordering or []), "pk")


def no_nulls(changes: dict[str, Any], nullable: set[str]) -> None:
    """A partial update may leave a field out, but may not set a required field to null."""
    errors = {k: [_("此字段不能为空值。")] for k, v in changes.items() if v is None and k not in nullable}
    if errors:
        raise ValidationError(errors)


@contextmanager
def api_fields(names: dict[str, str]) -> Iterator[None]:
    """Re-key a service's field errors (model field names) to the names the API takes (``*_id``)."""
    try:
        yield
    except ValidationError as exc:
        if not hasattr(exc, "error_dict"):
            raise
        raise ValidationError({names.get(k, k): v for k, v in exc.error_dict.items()}) from exc


# --- Schemas ---------------------------------------------------------------------------------
class EnterpriseOut(Schema):
    id: int
    code: str
    name: str
    credit_code: str
    industry: str


class EnterpriseIn(Schema):
    code: str
    name: str
    credit_code: str = ""
    industry: str = ""


class SiteOut(Schema):
    id: int
    enterprise_id: int
    code: str
    name: str
    address: str
    latitude: Decimal | None
    longitude: Decimal | None
    map_width_m: int
    map_height_m: int


class SiteIn(Schema):
    enterprise_id: Id
    code: str
    name: str
    address: str = ""
    latitude: Decimal | None = None
    longitude: Decimal | None = None
    map_width_m: int = Field(400, ge=1)
    map_height_m: int = Field(300, ge=1)


class AreaOut(Schema):
    id: int
    site_id: int
    code: str
    name: str
    description: str
    map_polygon: list[list[float]]


class AreaIn(Schema):
    site_id: Id
    code: str
    name: str
    description: str = ""
    map_polygon: list[list[float]] = []


class TeamOut(Schema):
    id: int
    area_id: int
    site_id: int
    code: str
    name: str
    shift: str

    @staticmethod
    def resolve_site_id(obj: Team) -> int:
        return obj.area.site_id


class TeamIn(Schema):
    area_id: Id
    code: str
    name: str
    shift: str = ""


class ScopeRef(Schema):
    level: ScopeLevel
    id: Id


class AssignmentOut(Schema):
    id: int
    user_id: int
    username: str
    role: Role
    role_label: str
    level: ScopeLevel
    enterprise_id: int
    site_id: int | None
    area_id: int | None
    team_id: int | None
    scope_name: str

    @staticmethod
    def resolve_username(obj: RoleAssignment) -> str:
        return obj.user.username

    @staticmethod
    def resolve_role_label(obj: RoleAssignment) -> str:
        return str(obj.get_role_display())

    @staticmethod
    def resolve_scope_name(obj: RoleAssignment) -> str:
        return str(obj.scope)


class AssignmentIn(Schema):
    user_id: Id
    role: Role
    scope: ScopeRef


class RoleIn(Schema):
    role: Role
    scope: ScopeRef


class PersonOut(Schema):
    id: int
    username: str
    name: str
    email: str
    phone: str
    employee_no: str
    company: str
    team_id: int | None
    preferred_language: str
    is_active: bool
    is_superuser: bool
    roles: list[AssignmentOut]

    @staticmethod
    def resolve_roles(obj: User) -> list[RoleAssignment]:
        return list(obj.assignments.all())


class PersonIn(Schema):
    username: str
    password: str | None = Field(None, json_schema_extra={"format": "password"})
    name: str = ""
    email: str = ""
    phone: str = ""
    employee_no: str = ""
    company: str = ""
    preferred_language: Language = "zh-hans"
    team_id: Id | None = None
    roles: list[RoleIn] = []


class PersonPatch(Schema):
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    employee_no: str | None = None
    company: str | None = None
    preferred_language: Language | None = None
    team_id: Id | None = None


class SiteFilters(FilterSchema):
    enterprise: Annotated[Id | None, FilterLookup("enterprise_id")] = None
    q: Annotated[str | None, FilterLookup(["code__icontains", "name__icontains"])] = None


class AreaFilters(FilterSchema):
    site: Annotated[Id | None, FilterLookup("site_id")] = None
    q: Annotated[str | None, FilterLookup(["code__icontains", "name__icontains"])] = None


class TeamFilters(FilterSchema):
    site: Annotated[Id | None, FilterLookup("area__site_id")] = None
    area: Annotated[Id | None, FilterLookup("area_id")] = None
    q: Annotated[str | None, FilterLookup(["code__icontains", "name__icontains"])] = None


class PeopleFilters(FilterSchema):
    site: Annotated[Id | None, FilterLookup(["team__area__site_id", "assignments__site_id"])] = None
    area: Annotated[Id | None, FilterLookup(["team__area_id", "assignments__area_id"])] = None
    team: Annotated[Id | None, FilterLookup(["team_id", "assignments__team_id"])] = None
    role: Annotated[Role | None, FilterLookup("assignments__role")] = None
    active: Annotated[bool | None, FilterLookup("is_active")] = None
    q: Annotated[
        str | None,
        FilterLookup(
            ["username__icontains", "name__icontains", "employee_no__icontains", "phone__icontains"]
        ),
    ] = None


class AssignmentFilters(FilterSchema):
    user: Annotated[Id | None, FilterLookup("user_id")] = None
    role: Annotated[Role | None, FilterLookup("role")] = None
    site: Annotated[Id | None, FilterLookup("site_id")] = None
    level: Annotated[ScopeLevel | None, FilterLookup("level")] = None


# --- Structure -------------------------------------------------------------------------------
@router.get(
    "/enterprises",
    response=list[EnterpriseOut],
    summary=doc(gettext_lazy("企业列表")),
    operation_id="org_enterprises",
)
@paginate(Page)
def list_enterprises(request: HttpRequest, q: str | None = None) -> QuerySet[Enterprise]:
    qs = selectors.enterprises(require(request, ORG_VIEW))
    return ordered(qs.filter(Q(code__icontains=q) | Q(name__icontains=q)) if q else qs)


@router.get(
    "/enterprises/{enterprise_id}",
    response=EnterpriseOut,
    summary=doc(gettext_lazy("企业详情")),
    operation_id="org_enterprise",
)
def get_enterprise(request: HttpRequest, enterprise_id: int) -> Enterprise:
    return get_object_or_404(selectors.enterprises(require(request, ORG_VIEW)), pk=enterprise_id)


@router.post(
    "/enterprises",
    response={201: EnterpriseOut},
    summary=doc(gettext_lazy("新建企业（仅超级管理员）")),
    operation_id="org_enterprise_create",
)
def create_enterprise(request: HttpRequest, payload: EnterpriseIn) -> Status[Enterprise]:
    ent = services.create_enterprise(viewer(request), **payload.dict())
    return Status(201, ent)


@router.get("/sites", response=list[SiteOut], summary=doc(gettext_lazy("场所列表")), operation_id="org_sites")
@paginate(Page)
def list_sites(request: HttpRequest, filters: Query[SiteFilters]) -> QuerySet[Site]:
    return ordered(filters.filter(selectors.sites(require(request, ORG_VIEW))))


@router.get(
    "/sites/{site_id}", response=SiteOut, summary=doc(gettext_lazy("场所详情")), operation_id="org_site"
)
def get_site(request: HttpRequest, site_id: int) -> Site:
    return get_object_or_404(selectors.sites(require(request, ORG_VIEW)), pk=site_id)


@router.post(
    "/sites", response={201: SiteOut}, summary=doc(gettext_lazy("新建场所")), operation_id="org_site_create"
)
def create_site(request: HttpRequest, payload: SiteIn) -> Status[Site]:
    actor = require(request, PEOPLE_MANAGE)
    data = payload.dict()
    enterprise = pick(selectors.enterprises(actor), data.pop("enterprise_id"), "enterprise_id")
    with api_fields(FIELD_NAMES):
        site = services.create_site(actor, enterprise=enterprise, **data)
    site.refresh_from_db()  # coordinates as stored
    return Status(201, site)


@router.get("/areas", response=list[AreaOut], summary=doc(gettext_lazy("区域列表")), operation_id="org_areas")
@paginate(Page)
def list_areas(request: HttpRequest, filters: Query[AreaFilters]) -> QuerySet[Area]:
    return ordered(filters.filter(selectors.areas(require(request, ORG_VIEW))))


@router.get(
    "/areas/{area_id}", response=AreaOut, summary=doc(gettext_lazy("区域详情")), operation_id="org_area"
)
def get_area(request: HttpRequest, area_id: int) -> Area:
    return get_object_or_404(selectors.areas(require(request, ORG_VIEW)), pk=area_id)


@router.post(
    "/areas", response={201: AreaOut}, summary=doc(gettext_lazy("新建区域")), operation_id="org_area_create"
)
def create_area(request: HttpRequest, payload: AreaIn) -> Status[Area]:
    actor = require(request, PEOPLE_MANAGE)
    data = payload.dict()
    site = pick(selectors.sites(actor), data.pop("site_id"), "site_id")
    with api_fields(FIELD_NAMES):
        return Status(201, services.create_area(actor, site=site, **data))


@router.get("/teams", response=list[TeamOut], summary=doc(gettext_lazy("班组列表")), operation_id="org_teams")
@paginate(Page)
def list_teams(request: HttpRequest, filters: Query[TeamFilters]) -> QuerySet[Team]:
    return ordered(filters.filter(selectors.teams(require(request, ORG_VIEW))))


@router.get(
    "/teams/{team_id}", response=TeamOut, summary=doc(gettext_lazy("班组详情")), operation_id="org_team"
)
def get_team(request: HttpRequest, team_id: int) -> Team:
    return get_object_or_404(selectors.teams(require(request, ORG_VIEW)), pk=team_id)


@router.post(
    "/teams", response={201: TeamOut}, summary=doc(gettext_lazy("新建班组")), operation_id="org_team_create"
)
def create_team(request: HttpRequest, payload: TeamIn) -> Status[Team]:
    actor = require(request, PEOPLE_MANAGE)
    data = payload.dict()
    area = pick(selectors.areas(actor), data.pop("area_id"), "area_id")
    with api_fields(FIELD_NAMES):
        return Status(201, services.create_team(actor, area=area, **data))


# --- People and roles ------------------------------------------------------------------------
def resolve_scope(actor: Any, ref: dict[str, Any], field: str) -> Enterprise | Site | Area | Team:
    """The enterprise/site/area/team a role is given at, among those the actor sees."""
    querysets: dict[str, QuerySet[Any]] = {
        ScopeLevel.ENTERPRISE: selectors.enterprises(actor),
        ScopeLevel.SITE: selectors.sites(actor),
        ScopeLevel.AREA: selectors.areas(actor),
        ScopeLevel.TEAM: selectors.teams(actor),
    }
    scope: Enterprise | Site | Area | Team = pick(querysets[ref["level"]], ref["id"], field)
    return scope


def _with_roles(people: QuerySet[User]) -> QuerySet[User]:
    """People with their roles' scopes loaded in a few queries, not one per role."""
    return people.prefetch_related(
        "assignments__user",
        "assignments__enterprise",
        "assignments__site",
        "assignments__area",
        "assignments__team",
    )


def _person(actor: Any, pk: int) -> User:
    return get_object_or_404(_with_roles(selectors.people(actor)), pk=pk)


@router.get(
    "/people", response=list[PersonOut], summary=doc(gettext_lazy("人员列表")), operation_id="org_people"
)
@paginate(Page)
def list_people(request: HttpRequest, filters: Query[PeopleFilters]) -> QuerySet[User]:
    return ordered(_with_roles(filters.filter(selectors.people(require(request, PEOPLE_VIEW))).distinct()))


@router.get(
    "/people/{user_id}", response=PersonOut, summary=doc(gettext_lazy("人员详情")), operation_id="org_person"
)
def get_person(request: HttpRequest, user_id: int) -> User:
    return _person(require(request, PEOPLE_VIEW), user_id)


@router.post(
    "/people",
    response={201: PersonOut},
    summary=doc(gettext_lazy("新建人员（含角色，一次提交）")),
    description=doc(
        gettext_lazy(
            "账号与全部角色在同一事务中创建：任一角色无效则不留下任何记录。"
            "不填密码则创建不能用密码登录的账号（如系统集成账号）。"
        )
    ),
    operation_id="org_person_create",
)
def create_person(request: HttpRequest, payload: PersonIn) -> Status[User]:
    actor = require(request, PEOPLE_MANAGE)
    data = payload.dict()
    roles = [
        (r["role"], resolve_scope(actor, r["scope"], f"roles.{i}.scope"))
        for i, r in enumerate(data.pop("roles"))
    ]
    team = pick(selectors.teams(actor), data.pop("team_id"), "team_id")
    if team is None and not roles and not Access.of(actor).is_superuser:
        raise ValidationError({"roles": _("请指定班组或至少一个角色，否则您将无法再管理此人。")})
    with api_fields({**FIELD_NAMES, "role": "roles"}):
        user = services.create_user(actor, team=team, roles=roles, **data)
    return Status(201, _person(actor, user.pk))


@router.patch(
    "/people/{user_id}",
    response=PersonOut,
    summary=doc(gettext_lazy("修改人员信息")),
    operation_id="org_person_update",
)
def update_person(request: HttpRequest, user_id: int, payload: PersonPatch) -> User:
    actor = require(request, PEOPLE_MANAGE)
    user = _person(actor, user_id)
    changes = payload.dict(exclude_unset=True)
    no_nulls(changes, nullable={"team_id"})
    if "team_id" in changes:
        changes["team"] = pick(selectors.teams(actor), changes.pop("team_id"), "team_id")
    with api_fields(FIELD_NAMES):
        services.update_user(actor, user, **changes)
    return _person(actor, user.pk)


@router.post(
    "/people/{user_id}/deactivate",
    response=PersonOut,
    summary=doc(gettext_lazy("停用人员账号")),
    operation_id="org_person_deactivate",
)
def deactivate_person(request: HttpRequest, user_id: int) -> User:
    actor = require(request, PEOPLE_MANAGE)
    user = _person(actor, user_id)
    services.update_user(actor, user, is_active=False)
    return _person(actor, user.pk)


@router.get(
    "/assignments",
    response=list[AssignmentOut],
    summary=doc(gettext_lazy("角色分配列表")),
    operation_id="org_assignments",
)
@paginate(Page)
def list_assignments(request: HttpRequest, filters: Query[AssignmentFilters]) -> QuerySet[RoleAssignment]:
    return ordered(filters.filter(selectors.assignments(require(request, PEOPLE_VIEW))))


@router.post(
    "/assignments",
    response={201: AssignmentOut},
    summary=doc(gettext_lazy("分配角色")),
    operation_id="org_assignment_create",
)
def create_assignment(request: HttpRequest, payload: AssignmentIn) -> Status[RoleAssignment]:
    actor = require(request, PEOPLE_MANAGE)
    data = payload.dict()
    user = pick(selectors.people(actor), data["user_id"], "user_id")
    scope = resolve_scope(actor, data["scope"], "scope")
    with api_fields({**FIELD_NAMES, "user": "user_id"}):
        return Status(201, services.assign_role(actor, user=user, role=data["role"], scope=scope))


@router.delete(
    "/assignments/{assignment_id}",
    response={204: None},
    summary=doc(gettext_lazy("撤销角色")),
    operation_id="org_assignment_delete",
)
def delete_assignment(request: HttpRequest, assignment_id: int) -> Status[None]:
    actor = require(request, PEOPLE_MANAGE)
    assignment = get_object_or_404(selectors.assignments(actor), pk=assignment_id)
    services.revoke_role(actor, assignment)
    return Status(204, None)
