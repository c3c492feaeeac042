"""The base of every domain's API router: error shape and pagination.

Errors always have one shape, localised to the request's language::

    {"detail": "…", "errors": {"field": ["message", …], …}}
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from ninja import Field, NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.pagination import PageNumberPagination


class Page(PageNumberPagination):
    """``?page=N&page_size=M``: 50 a page unless asked, at most 200."""

    class Input(Schema):
        # Bounded, so that no page number can overflow the database's OFFSET (a 500).
        page: int = Field(1, ge=1, le=1_000_000)
        page_size: int | None = Field(None, ge=1)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(page_size=50, max_page_size=200, **kwargs)


def _pydantic_message(err: dict[str, Any]) -> str:
    kind = err.get("type", "")
    ctx = err.get("ctx") or {}
    messages = {
        "missing": _("此字段为必填项。"),
        "string_too_long": _("最多 %(n)s 个字符。") % {"n": ctx.get("max_length")},
        "string_too_short": _("至少 %(n)s 个字符。") % {"n": ctx.get("min_length")},
        "int_parsing": _("请输入整数。"),
        "int_type": _("请输入整数。"),
        "float_parsing": _("请输入数字。"),
        "float_type": _("请输入数字。"),
        "decimal_parsing": _("请输入数字。"),
        "decimal_type": _("请输入数字。"),
        "finite_number": _("请输入有限的数字。"),
        "bool_parsing": _("请输入 true 或 false。"),
        "date_from_datetime_parsing": _("请输入有效的日期（YYYY-MM-DD）。"),
        "date_parsing": _("请输入有效的日期（YYYY-MM-DD）。"),
        "datetime_parsing": _("请输入有效的时间（ISO 8601）。"),
        "datetime_from_date_parsing": _("请输入有效的时间（ISO 8601）。"),
        "enum": _("无效的选项，可选值：%(v)s") % {"v": _choices(ctx)},
        "literal_error": _("无效的选项，可选值：%(v)s") % {"v": _choices(ctx)},
        "greater_than": _("必须大于 %(v)s。") % {"v": ctx.get("gt")},
        "greater_than_equal": _("必须大于或等于 %(v)s。") % {"v": ctx.get("ge")},
        "less_than": _("必须小于 %(v)s。") % {"v": ctx.get("lt")},
        "less_than_equal": _("必须小于或等于 %(v)s。") % {"v": ctx.get("le")},
        "string_type": _("请输入文本。"),
        "json_invalid": _("请求体不是有效的 JSON。"),
        "model_attributes_type": _("请求体必须是 JSON 对象。"),
        "dict_type": _("必须是 JSON 对象。"),
        "list_type": _("必须是列表。"),
        "extra_forbidden": _("不允许的字段。"),
        "value_error": _("无效的值：%(m)s") % {"m": ctx.get("error", "")},
        "int_from_float": _("请输入整数。"),
        "int_parsing_size": _("数值超出范围。"),
        "bool_type": _("请输入 true 或 false。"),
        "date_type": _("请输入有效的日期（YYYY-MM-DD）。"),
        "datetime_type": _("请输入有效的时间（ISO 8601）。"),
        "decimal_max_digits": _("数字最多 %(n)s 位。") % {"n": ctx.get("max_digits")},
        "decimal_max_places": _("小数最多 %(n)s 位。") % {"n": ctx.get("decimal_places")},
        "decimal_whole_digits": _("整数部分最多 %(n)s 位。") % {"n": ctx.get("whole_digits")},
        "too_short": _("至少需要 %(n)s 项。") % {"n": ctx.get("min_length")},
        "too_long": _("最多 %(n)s 项。") % {"n": ctx.get("max_length")},
        "string_pattern_mismatch": _("格式不正确。"),
        "model_type": _("必须是 JSON 对象。"),
        "int_type_from_bool": _("请输入整数。"),
    }
    return messages.get(kind, _("无效的值。"))


def _choices(ctx: dict[str, Any]) -> str:
    """pydantic lists the choices as "'a', 'b' or 'c'"; list them without the English "or"."""
    return str(ctx.get("expected", "")).replace(" or ", ", ")


# ninja's own English messages for errors it raises before a view runs.
NINJA_HTTP_MESSAGES = {
    "Cannot parse request body": _lazy("请求体不是有效的 JSON。"),
}


def field_errors_from_pydantic(errors: list[dict[str, Any]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for err in errors:
        # ninja prefixes locations with the parameter source and name, e.g. ("body", "payload", "code")
        loc = [
            str(p)
            for p in err.get("loc", ())
            if p not in ("body", "query", "path", "form", "payload", "filters")
        ]
        key = ".".join(loc) or "__all__"
        out.setdefault(key, []).append(_pydantic_message(err))
    return out


def field_errors_from_django(exc: ValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {k: [str(m) for e in v for m in e.messages] for k, v in exc.error_dict.items()}
    return {"__all__": [str(m) for m in exc.messages]}


def error_response(
    api: NinjaAPI, request: HttpRequest, status: int, detail: str, errors: Any = None
) -> HttpResponse:
    body: dict[str, Any] = {"detail": detail}
    if errors:
        body["errors"] = errors
    return api.create_response(request, body, status=status)


def install_error_handlers(api: NinjaAPI) -> None:
    @api.exception_handler(NinjaValidationError)
    def invalid(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        return error_response(
            api, request, 422, _("输入有误，请检查后重试。"), field_errors_from_pydantic(exc.errors)
        )

    @api.exception_handler(ValidationError)
    def domain_invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        return error_response(api, request, 400, _("输入有误，请检查后重试。"), field_errors_from_django(exc))

    @api.exception_handler(PermissionDenied)
    def denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
        return error_response(api, request, 403, str(exc) or _("您没有执行此操作的权限。"))

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return error_response(api, request, 401, _("请先登录或提供有效的 API 令牌。"))

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return error_response(api, request, 404, _("未找到该记录，或您无权查看。"))

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        for english, localised in NINJA_HTTP_MESSAGES.items():
            if str(exc).startswith(english):
                return error_response(
                    api, request, exc.status_code, str(localised), {"__all__": [str(localised)]}
                )
        return error_response(api, request, exc.status_code, str(exc))
