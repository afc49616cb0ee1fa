"""Server-rendered pages, phone first, in Chinese."""

from __future__ import annotations

import json
from typing import Any

import msgspec
from litestar import Litestar, Request, get, post
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.response import Redirect, Template

from checklists import load_checklist
from inspection import inspections, labels, rosters, status
from inspection.api._common import db_of, parse_day, user_of
from inspection.api.auth import login_limit
from inspection.auth import SESSION_USER_KEY, STAFF, current_user, require
from inspection.clock import local_text, local_today
from inspection.errors import NotFoundError
from inspection.users import authenticate

HOME = {"admin": "/leader/roster", "leader": "/leader/roster", "inspector": "/inspector"}


class LoginForm(msgspec.Struct):
    username: str = ""
    password: str = ""
    next: str = ""


def _safe_next(target: str) -> str:
    # Only same-site paths, so the login form cannot bounce a user elsewhere.
    return target if target.startswith("/") and not target.startswith("//") else ""


@get("/", include_in_schema=False)
async def home(request: Request[Any, Any, Any]) -> Redirect:
    """Send each role to its own start page; the public to published results."""
    user = current_user(request)
    if user is None:
        return Redirect("/public")
    if user.role == "enterprise":
        return Redirect(f"/enterprise/{user.enterprise_uscc}")
    return Redirect(HOME[user.role])


@get("/login", include_in_schema=False)
async def login_form(next: FromQuery[str] = "") -> Template:
    """The login form."""
    return Template("login.html", context={"next": _safe_next(next), "error": ""})


@post("/login", include_in_schema=False, middleware=[login_limit.middleware], status_code=200)
async def login_submit(
    request: Request[Any, Any, Any], data: URLEncodedBody[LoginForm]
) -> Template | Redirect:
    """Check the password, start a session, and go on to the page asked for."""
    user = await authenticate(db_of(request), data.username.strip(), data.password)
    if user is None:
        return Template(
            "login.html",
            status_code=401,
            context={"next": _safe_next(data.next), "error": "用户名或密码错误"},
        )
    request.set_session({SESSION_USER_KEY: user.id})
    target = _safe_next(data.next)
    if not target:
        target = (
            f"/enterprise/{user.enterprise_uscc}" if user.role == "enterprise" else HOME[user.role]
        )
    return Redirect(target, status_code=303)


@post("/logout", include_in_schema=False, status_code=303)
async def logout(request: Request[Any, Any, Any]) -> Redirect:
    """End the session."""
    request.clear_session()
    return Redirect("/login", status_code=303)


@get("/inspector", guards=[require("inspector", *STAFF)], include_in_schema=False)
async def inspector_home(
    request: Request[Any, Any, Any], date: FromQuery[str | None] = None
) -> Template:
    """The inspector's visits for today (or a chosen day)."""
    day = parse_day(date)
    items = await rosters.assignments_for(db_of(request), user_of(request), day)
    return Template("inspector_home.html", context={"day": day, "items": items})


@get(
    "/inspector/assignments/{assignment_id:int}",
    guards=[require("inspector", *STAFF)],
    include_in_schema=False,
)
async def checklist_page(request: Request[Any, Any, Any], assignment_id: FromPath[int]) -> Template:
    """The checklist form for one visit, with camera capture."""
    user = user_of(request)
    row = await db_of(request).fetchone(
        "SELECT a.*, t.name AS target_name, t.kind, t.address, t.district, r.day"
        " FROM assignments a JOIN targets t ON t.id = a.target_id"
        " JOIN rosters r ON r.id = a.roster_id WHERE a.id = ?",
        (assignment_id,),
    )
    if row is None or (
        user.role == "inspector"
        and user.inspector_id not in (row["inspector_a"], row["inspector_b"])
    ):
        raise NotFoundError(f"检查任务 {assignment_id} 不存在")
    checklist = load_checklist(row["kind"])
    done = await db_of(request).fetchval(
        "SELECT id FROM inspections WHERE assignment_id = ? ORDER BY created_at DESC LIMIT 1",
        (assignment_id,),
    )
    return Template(
        "checklist_form.html",
        context={
            "a": dict(row),
            "checklist": checklist,
            "done": done,
            "checklist_json": json.dumps(msgspec.to_builtins(checklist), ensure_ascii=False),
        },
    )


@get("/inspections/{inspection_id:str}", include_in_schema=False, guards=[require()])
async def inspection_page(
    request: Request[Any, Any, Any], inspection_id: FromPath[str]
) -> Template:
    """One inspection's verdict, findings and photos."""
    record = await inspections.read(db_of(request), inspection_id, user_of(request))
    photos = await db_of(request).fetchall(
        "SELECT id, item_key FROM photos WHERE inspection_id = ? ORDER BY id", (inspection_id,)
    )
    return Template("inspection.html", context={"i": record, "photos": photos})


@get("/leader/roster", guards=[require(*STAFF)], include_in_schema=False)
async def leader_roster(
    request: Request[Any, Any, Any], date: FromQuery[str | None] = None
) -> Template:
    """A day's roster by pair, with reasons and status; draw it if none exists."""
    day = parse_day(date)
    try:
        roster = await rosters.show(db_of(request), day)
    except NotFoundError:
        roster = None
    inspectors = await db_of(request).fetchall(
        "SELECT id, name, team FROM inspectors WHERE active = 1 ORDER BY id"
    )
    return Template(
        "leader_roster.html",
        context={"day": day, "roster": roster, "pairs": _by_pair(roster), "inspectors": inspectors},
    )


def _by_pair(roster: dict[str, Any] | None) -> list[dict[str, Any]]:
    pairs: dict[tuple[str, str], dict[str, Any]] = {}
    for a in (roster or {}).get("assignments", []):
        key = (a["inspector_a"], a["inspector_b"])
        pair = pairs.setdefault(
            key,
            {
                "names": f"{a['inspector_a_name']}、{a['inspector_b_name']}",
                "ids": key,
                "visits": [],
            },
        )
        pair["visits"].append(a)
    return list(pairs.values())


class DrawForm(msgspec.Struct):
    date: str = ""
    redraw_reason: str = ""


@post("/leader/roster", guards=[require(*STAFF)], include_in_schema=False, status_code=303)
async def leader_draw(request: Request[Any, Any, Any], data: URLEncodedBody[DrawForm]) -> Redirect:
    """Draw (or, with a reason, redraw) a day's roster from the page."""
    day = parse_day(data.date)
    await rosters.generate(
        db_of(request),
        request.app.state.policy,
        day,
        actor=user_of(request).username,
        redraw_reason=data.redraw_reason.strip() or None,
    )
    return Redirect(f"/leader/roster?date={day}", status_code=303)


class ReassignForm(msgspec.Struct):
    inspector_a: str = ""
    inspector_b: str = ""
    reason: str = ""
    date: str = ""


@post(
    "/leader/assignments/{assignment_id:int}/reassign",
    guards=[require(*STAFF)],
    include_in_schema=False,
    status_code=303,
)
async def leader_reassign(
    request: Request[Any, Any, Any],
    assignment_id: FromPath[int],
    data: URLEncodedBody[ReassignForm],
) -> Redirect:
    """Give a visit to another pair, with the reason."""
    await rosters.reassign(
        db_of(request),
        assignment_id,
        inspector_a=data.inspector_a,
        inspector_b=data.inspector_b,
        reason=data.reason,
        actor=user_of(request).username,
    )
    return Redirect(f"/leader/roster?date={parse_day(data.date)}", status_code=303)


@get("/enterprise/{uscc:str}", guards=[require("enterprise", *STAFF)], include_in_schema=False)
async def enterprise_page(request: Request[Any, Any, Any], uscc: FromPath[str]) -> Template:
    """The enterprise's own status: whitelist, tiers and why, results. Never a next visit."""
    status.check_enterprise_access(user_of(request), uscc)
    found = await status.enterprise_status(
        db_of(request), request.app.state.policy, uscc, local_today()
    )
    return Template("enterprise_status.html", context={"s": found})


@get("/public", include_in_schema=False)
async def public_page(
    request: Request[Any, Any, Any], q: FromQuery[str] = "", page: FromQuery[int] = 1
) -> Template:
    """Published results for everyone, searchable by name or USCC."""
    page = max(page, 1)
    results = await status.public_results(db_of(request), q, limit=30, offset=(page - 1) * 30)
    return Template("public_results.html", context={"q": q, "results": results, "page": page})


def configure_templates(app: Litestar) -> None:
    """Jinja globals shared by every page: Chinese labels and local time."""
    env = app.template_engine.engine  # type: ignore[union-attr]
    env.globals.update(labels.ALL)
    env.filters["local"] = local_text


ROUTES = [
    home,
    login_form,
    login_submit,
    logout,
    inspector_home,
    checklist_page,
    inspection_page,
    leader_roster,
    leader_draw,
    leader_reassign,
    enterprise_page,
    public_page,
]
