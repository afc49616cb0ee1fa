"""Every error a user can meet, as one clear Chinese sentence, in JSON or as a page.

The framework's own messages (validation, 404, 413, 429) are English and
carry Python details; they are reworded here, in one place.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, NotAuthorizedException, ValidationException
from litestar.response import Redirect, Template

from inspection.errors import XunchaError

logger = logging.getLogger(__name__)

# msgspec's wording of a bad body, turned into what the user should fix.
_MSGSPEC = [
    (re.compile(r"Object missing required field `(\w+)`"), "缺少必填字段“{0}”"),
    (re.compile(r"Expected `datetime` with a timezone component"),
     "时间须带时区，例如 2026-12-04T10:30:00+08:00"),
    (re.compile(r"Object contains unknown field `(\w+)`"), "不认识的字段“{0}”"),
    (re.compile(r"Expected `(\w+)[^`]*`, got `(\w+)`"), "类型不对：应为 {0}，收到 {1}"),
    (re.compile(r"Expected `str` of length <= (\d+)"), "文字过长，最多 {0} 个字符"),
    (re.compile(r"Expected `(?:array|object)` of length <= (\d+)"), "条目过多，最多 {0} 个"),
    (re.compile(r"Expected `int` (?:>=|<=) (-?\d+)"), "数值超出范围（界限 {0}）"),
    (re.compile(r"Invalid UUID"), "id 应为 UUID"),
    (re.compile(r"Expected `str` matching regex"), "格式不对"),
    (re.compile(r"JSON is malformed|Input data was truncated"), "JSON 格式有误或不完整"),
    (re.compile(r"Number out of range"), "数值超出范围"),
    (re.compile(r"Invalid RFC3339|Invalid ISO|Invalid date"), "日期或时间格式有误"),
]
_WHERE = re.compile(r"at `\$\.?([^`]*)`")


def _validation_message(exc: HTTPException) -> str:
    text = f"{exc.detail} {exc.extra}"
    where = _WHERE.search(text)
    field = _field(exc)
    for pattern, template in _MSGSPEC:
        match = pattern.search(text)
        if match:
            message = template.format(*match.groups())
            if where and where.group(1):
                return f"{message}（位置 {where.group(1)}）"
            return f"字段“{field}”：{message}" if field else message
    return f"字段“{field}”的内容有误" if field else "请求内容有误，请检查字段和格式"


def _field(exc: HTTPException) -> str | None:
    """The body field or parameter Litestar names in a validation error, if one."""
    extra = exc.extra if isinstance(exc.extra, list) else []
    for item in extra:
        key = item.get("key") if isinstance(item, dict) else None
        # 'data' is Litestar's name for the whole body, not a field.
        if isinstance(key, str) and key and key != "data":
            return key
    return None


def wants_json(request: Request[Any, Any, Any]) -> bool:
    return request.url.path.startswith("/api/") or "application/json" in request.headers.get(
        "accept", "")


def respond(request: Request[Any, Any, Any], status: int, message: str,
            field: str | None = None) -> Response[Any]:
    """The error as JSON for the API and scripts, as a page for people."""
    if wants_json(request):
        body: dict[str, Any] = {"status_code": status, "detail": message}
        if field:
            body["field"] = field
        return Response(body, status_code=status, media_type=MediaType.JSON)
    return Template("error.html", context={"status": status, "message": message},
                    status_code=status)


def xuncha_error(request: Request[Any, Any, Any], exc: XunchaError) -> Response[Any]:
    logger.warning("rejected %s %s: %s", request.method, request.url.path, exc.message)
    return respond(request, exc.status_code, exc.message, exc.field)


_BY_STATUS = {
    403: "无权访问",
    404: "页面或记录不存在",
    405: "不支持该请求方法",
    413: "请求内容过大",
    429: "请求过于频繁，请稍后再试",
}


def http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    if isinstance(exc, NotAuthorizedException) and not wants_json(request):
        return Redirect(f"/login?next={request.url.path}")
    if isinstance(exc, ValidationException):
        message = _validation_message(exc)
        logger.warning("rejected %s %s: %s", request.method, request.url.path, exc.extra)
        return respond(request, 422, message, field=_field(exc))
    detail = exc.detail
    if detail == "CSRF token verification failed":
        detail = "表单已过期，请刷新页面后重试"
    elif exc.status_code == 400:
        detail = _validation_message(exc)
    elif not re.search(r"[\u4e00-\u9fff]", detail or ""):
        detail = _BY_STATUS.get(exc.status_code, "请求未能完成")
    return respond(request, exc.status_code, detail)


def overflow(request: Request[Any, Any, Any], exc: OverflowError) -> Response[Any]:
    logger.warning("rejected %s %s: %s", request.method, request.url.path, exc)
    return respond(request, 422, "数值超出范围")


def unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    logger.exception("unexpected error on %s %s", request.method, request.url.path)
    return respond(request, 500, "服务器内部错误，已记录，请稍后再试")


HANDLERS: dict[Any, Any] = {
    XunchaError: xuncha_error,
    HTTPException: http_error,
    OverflowError: overflow,
    Exception: unexpected,
}
