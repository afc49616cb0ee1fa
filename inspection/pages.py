"""Server-rendered pages, phone first, in Chinese."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import msgspec
from litestar import Litestar, Request, Response, get, post
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.response import Redirect, Template

from checklists import list_kinds, list_versions, load_checklist
from checklists.model import Checklist, Item
from checklists.standards.limits import all_limits
from inspection import (
    corrective,
    dashboard,
    duty,
    exports,
    inspections,
    labels,
    rosters,
    status,
    whitelist,
)
from inspection.api._common import db_of, parse_day, user_of
from inspection.api.auth import login_limit
from inspection.auth import SESSION_USER_KEY, STAFF, current_user, require
from inspection.clock import local_text, local_today
from inspection.errors import NotFoundError, ValidationError
from inspection.sessions import start_session
from inspection.users import authenticate

STATIC = Path(__file__).resolve().parent.parent / "frontend" / "static"
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
    start_session(request, {SESSION_USER_KEY: user.id})
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


@get("/sw.js", include_in_schema=False)
async def service_worker() -> Response[bytes]:
    """The field app's service worker, from the root so its scope covers every page."""
    return Response(
        (STATIC / "sw.js").read_bytes(),
        media_type="text/javascript",
        headers={"Service-Worker-Allowed": "/", "Cache-Control": "no-cache"},
    )


def range_text(item: Item) -> str:
    """The plausible range of a reading, said plainly: “合理范围 0–5 级”."""
    unit = f" {item.unit}" if item.unit else ""
    low, high = (f"{v:g}" if v is not None else None for v in (item.min, item.max))
    if low is not None and high is not None:
        return f"合理范围 {low}–{high}{unit}"
    if low is not None:
        return f"应不小于 {low}{unit}"
    if high is not None:
        return f"应不大于 {high}{unit}"
    return f"单位：{item.unit}" if item.unit else ""


def _script_json(value: Any) -> str:
    # Inside <script> nothing is unescaped, so "</script>" in a label must never appear.
    text = json.dumps(msgspec.to_builtins(value), ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _form_items(checklist: Checklist) -> dict[str, Any]:
    # Only what the form's hints and verdict preview read; the page itself carries the rest.
    keep = ("key", "label", "type", "unit", "min", "max", "fail_choices")
    items = [{k: getattr(item, k) for k in keep} for item in checklist.items]
    return {"id": checklist.id, "version": checklist.version, "items": items}


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
            "checklist_json": _script_json(_form_items(checklist)),
            "photo_max_side": request.app.state.settings.photo_upload_max_side,
        },
    )


@get("/inspections/{inspection_id:str}", include_in_schema=False, guards=[require()])
async def inspection_page(
    request: Request[Any, Any, Any], inspection_id: FromPath[str]
) -> Template:
    """One inspection's verdict, findings and photos."""
    user = user_of(request)
    record = await inspections.read(db_of(request), inspection_id, user)
    rows = await db_of(request).fetchall(
        "SELECT id, item_key, metadata FROM photos WHERE inspection_id = ? ORDER BY id",
        (inspection_id,),
    )
    # Where and when a photo was taken is for staff to weigh, not for the enterprise.
    staff = user.role != "enterprise"
    photos = [
        {
            "id": r["id"],
            "item_key": r["item_key"],
            "facts": msgspec.json.decode(r["metadata"]) if staff else {},
        }
        for r in rows
    ]
    labels = {}
    if record.checklist_id:
        checklist = load_checklist(record.checklist_id, record.checklist_version)
        labels = {item.key: item.label for item in checklist.items}
    return Template("inspection.html", context={"i": record, "photos": photos, "labels": labels})


CHANGES_SQL = """
SELECT c.assignment_id, c.changed_at, c.changed_by, c.reason
FROM assignment_changes c JOIN assignments a ON a.id = c.assignment_id
WHERE a.roster_id = ? ORDER BY c.id
"""


@get("/leader/roster", guards=[require(*STAFF)], include_in_schema=False)
async def leader_roster(
    request: Request[Any, Any, Any], date: FromQuery[str | None] = None, by: FromQuery[str] = "pair"
) -> Template:
    """A day's roster by pair or by district, with reasons, status and every change's reason."""
    day = parse_day(date)
    db = db_of(request)
    try:
        roster = await rosters.show(db, day)
    except NotFoundError:
        roster = None
    if roster is not None:
        changes: dict[int, list[dict[str, Any]]] = {}
        for c in await db.fetchall(CHANGES_SQL, (roster["id"],)):
            changes.setdefault(c["assignment_id"], []).append(dict(c))
        for a in roster["assignments"]:
            a["change_log"] = changes.get(a["id"], [])
    inspectors = await db.fetchall(
        "SELECT id, name, team FROM inspectors WHERE active = 1 ORDER BY id"
    )
    grouping = "district" if by == "district" else "pair"
    groups = _by_district(roster) if grouping == "district" else _by_pair(roster)
    return Template(
        "leader_roster.html",
        context={
            "day": day,
            "roster": roster,
            "groups": groups,
            "by": grouping,
            "tally": _tally(roster),
            "inspectors": inspectors,
        },
    )


def _tally(roster: dict[str, Any] | None) -> dict[str, dict[str, int]]:
    reasons: dict[str, int] = {}
    statuses: dict[str, int] = {}
    for a in (roster or {}).get("assignments", []):
        reasons[a["reason"]] = reasons.get(a["reason"], 0) + 1
        statuses[a["status"]] = statuses.get(a["status"], 0) + 1
    return {"reasons": reasons, "statuses": statuses}


def _by_pair(roster: dict[str, Any] | None) -> list[dict[str, Any]]:
    pairs: dict[tuple[str, str], dict[str, Any]] = {}
    for a in (roster or {}).get("assignments", []):
        key = (a["inspector_a"], a["inspector_b"])
        title = f"{a['inspector_a_name']}、{a['inspector_b_name']}"
        pairs.setdefault(key, {"title": title, "visits": []})["visits"].append(a)
    return list(pairs.values())


def _by_district(roster: dict[str, Any] | None) -> list[dict[str, Any]]:
    districts: dict[str, dict[str, Any]] = {}
    for a in (roster or {}).get("assignments", []):
        name = a["district"] or "未填区县"
        districts.setdefault(name, {"title": name, "visits": []})["visits"].append(a)
    return [districts[k] for k in sorted(districts)]


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
    return Redirect(
        f"/leader/roster?date={parse_day(data.date)}#assignment-{assignment_id}", status_code=303
    )


@get("/leader/dashboard", guards=[require(*STAFF)], include_in_schema=False)
async def leader_dashboard(
    request: Request[Any, Any, Any], date: FromQuery[str | None] = None
) -> Template:
    """Coverage against plan, findings by kind and district, tiers and the weekly trend."""
    day = parse_day(date)
    figures = await dashboard.build(db_of(request), request.app.state.policy, day)
    charts = {
        "coverage": dashboard.coverage_chart(figures.coverage, "近14天计划与完成的检查任务"),
        "by_kind": dashboard.bar_chart(figures.findings_by_kind, "近30天发现问题数（按类别）"),
        "by_district": dashboard.bar_chart(
            figures.findings_by_district, "近30天发现问题数（按区县）"
        ),
        "tiers": dashboard.tier_chart(figures.tiers, "各监管等级对象数及周期内已检查数"),
        "trend": dashboard.trend_chart(figures.trend, "近12周检查次数及不合格次数"),
    }
    rows = {
        "coverage_rows": [(c.day, c.planned, c.done) for c in figures.coverage],
        "tier_rows": [(t.label, t.targets, t.within_interval) for t in figures.tiers],
        "kind_rows": [(c.label, c.value) for c in figures.findings_by_kind],
        "district_rows": [(c.label, c.value) for c in figures.findings_by_district],
        "trend_rows": [(w.week_start, w.inspections, w.failed) for w in figures.trend],
    }
    return Template("leader_dashboard.html", context={"d": figures, "charts": charts, **rows})


def _xlsx(content: bytes, filename: str) -> Response[bytes]:
    # RFC 5987 form, so the Chinese file name survives every browser.
    quoted = quote(filename)
    return Response(
        content,
        media_type=exports.XLSX,
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quoted}"},
    )


@get("/leader/roster.xlsx", guards=[require(*STAFF)], include_in_schema=False)
async def roster_export(
    request: Request[Any, Any, Any], date: FromQuery[str | None] = None
) -> Response[bytes]:
    """A day's roster as an Excel workbook."""
    day = parse_day(date)
    return _xlsx(await exports.roster_xlsx(db_of(request), day), f"检查计划-{day}.xlsx")


@get("/leader/results.xlsx", guards=[require(*STAFF)], include_in_schema=False)
async def results_export(
    request: Request[Any, Any, Any],
    start: FromQuery[str | None] = None,
    end: FromQuery[str | None] = None,
) -> Response[bytes]:
    """Inspection results from one local day to another (default: the last 30 days)."""
    last = parse_day(end, "end")
    first = parse_day(start, "start") if start else last - timedelta(days=29)
    if first > last:
        raise ValidationError(f"起始日期 {first} 晚于截止日期 {last}", field="start")
    if (last - first).days + 1 > exports.MAX_DAYS:
        raise ValidationError(
            f"一次最多导出 {exports.MAX_DAYS} 天，收到 {first} 至 {last}", field="start"
        )
    content = await exports.results_xlsx(db_of(request), first, last)
    return _xlsx(content, f"检查结果-{first}至{last}.xlsx")


@get("/enterprise/{uscc:str}", guards=[require("enterprise", *STAFF)], include_in_schema=False)
async def enterprise_page(request: Request[Any, Any, Any], uscc: FromPath[str]) -> Template:
    """The enterprise's own status: whitelist, tiers and why, results. Never a next visit."""
    status.check_enterprise_access(user_of(request), uscc)
    found = await status.enterprise_status(
        db_of(request), request.app.state.policy, uscc, local_today()
    )
    actions = [
        a
        for a in await corrective.list_actions(db_of(request), user_of(request))
        if a.enterprise_uscc == uscc and a.status in corrective.UNCLOSED
    ]
    return Template("enterprise_status.html", context={"s": found, "corrective": actions})


HISTORY_SQL = """
SELECT i.id, i.inspected_at, t.name AS target_name, t.kind, i.verdict, i.judgement
FROM inspections i JOIN targets t ON t.id = i.target_id
WHERE i.published = 1 AND t.enterprise_uscc = ?
ORDER BY i.inspected_at DESC LIMIT ? OFFSET ?
"""

WHITELIST_HISTORY_SQL = """
SELECT valid_from, valid_to, reason, revoked_on, revoked_reason FROM whitelist
WHERE enterprise_uscc = ? ORDER BY valid_from DESC
"""

PAGE_SIZE = 30


@get(
    "/enterprise/{uscc:str}/history",
    guards=[require("enterprise", *STAFF)],
    include_in_schema=False,
)
async def enterprise_history(
    request: Request[Any, Any, Any], uscc: FromPath[str], page: FromQuery[int] = 1
) -> Template:
    """Every published inspection of the enterprise and its whitelist decisions, newest first."""
    status.check_enterprise_access(user_of(request), uscc)
    db = db_of(request)
    name = await db.fetchval("SELECT name FROM enterprises WHERE uscc = ?", (uscc,))
    if name is None:
        raise NotFoundError(f"企业“{uscc}”不存在")
    page = max(page, 1)
    rows = await db.fetchall(HISTORY_SQL, (uscc, PAGE_SIZE, (page - 1) * PAGE_SIZE))
    results = [
        {
            **dict(r),
            "findings": msgspec.json.decode(r["judgement"]).get("findings", []),
        }
        for r in rows
    ]
    whitelist = await db.fetchall(WHITELIST_HISTORY_SQL, (uscc,))
    return Template(
        "enterprise_history.html",
        context={
            "uscc": uscc,
            "name": name,
            "results": results,
            "whitelist": whitelist,
            "page": page,
            "more": len(rows) == PAGE_SIZE,
        },
    )


CORRECTIVE_SECTIONS = ("overdue", "open", "awaiting_reinspection", "closed")


@get("/leader/corrective", guards=[require(*STAFF)], include_in_schema=False)
async def leader_corrective(request: Request[Any, Any, Any]) -> Template:
    """Corrective actions: overdue, open, awaiting re-inspection, and recently closed."""
    actions = await corrective.list_actions(db_of(request), user_of(request))
    sections = {code: [a for a in actions if a.status == code] for code in CORRECTIVE_SECTIONS}
    sections["closed"] = sections["closed"][:30]
    return Template(
        "leader_corrective.html",
        context={"sections": sections, "labels": corrective.STATUS_LABELS},
    )


@get(
    "/corrective/{action_id:int}",
    guards=[require("enterprise", "inspector", *STAFF)],
    include_in_schema=False,
)
async def corrective_page(request: Request[Any, Any, Any], action_id: FromPath[int]) -> Template:
    """One corrective action with its findings and evidence; the enterprise uploads here."""
    found = await corrective.read_action(db_of(request), user_of(request), action_id)
    return Template("corrective.html", context={"c": found})


@get("/leader/whitelist", guards=[require(*STAFF)], include_in_schema=False)
async def leader_whitelist(request: Request[Any, Any, Any]) -> Template:
    """The whitelist: pending proposals to decide, the list in force, recent history."""
    db = db_of(request)
    return Template(
        "leader_whitelist.html",
        context={
            "pending": await whitelist.list_proposals(db, status="pending"),
            "current": await whitelist.list_current(db, local_today()),
            "history": await whitelist.history(db, limit=50),
            "yesterday": local_today() - timedelta(days=1),
        },
    )


class WhitelistDecisionForm(msgspec.Struct):
    decision: str = ""
    reason: str = ""


@post(
    "/leader/whitelist/proposals/{proposal_id:int}",
    guards=[require(*STAFF)],
    include_in_schema=False,
    status_code=303,
)
async def leader_whitelist_decide(
    request: Request[Any, Any, Any],
    proposal_id: FromPath[int],
    data: URLEncodedBody[WhitelistDecisionForm],
) -> Redirect:
    """Approve or reject one proposal from the page; a rejection needs its reason."""
    if data.decision not in ("approve", "reject"):
        raise ValidationError(
            f"审批结果应为“批准”或“驳回”，收到“{data.decision}”", field="decision"
        )
    await whitelist.decide(
        db_of(request),
        proposal_id,
        approve=data.decision == "approve",
        reason=data.reason,
        actor=user_of(request),
    )
    return Redirect("/leader/whitelist", status_code=303)


@post(
    "/leader/whitelist/review",
    guards=[require(*STAFF)],
    include_in_schema=False,
    status_code=303,
)
async def leader_whitelist_review(request: Request[Any, Any, Any]) -> Redirect:
    """Run the whitelist review now, over the facts known at the end of yesterday."""
    await whitelist.review(
        db_of(request),
        request.app.state.policy,
        local_today() - timedelta(days=1),
        actor=user_of(request).username,
    )
    return Redirect("/leader/whitelist#pending", status_code=303)


@get("/public", include_in_schema=False)
async def public_page(
    request: Request[Any, Any, Any], q: FromQuery[str] = "", page: FromQuery[int] = 1
) -> Template:
    """Published results for everyone, searchable by name or USCC."""
    page = max(page, 1)
    results = await status.public_results(db_of(request), q, limit=30, offset=(page - 1) * 30)
    return Template("public_results.html", context={"q": q, "results": results, "page": page})


@get("/public/rosters", include_in_schema=False)
async def public_rosters(request: Request[Any, Any, Any]) -> Template:
    """Each past day's draw with its seed, commitment and digests, for anyone to check."""
    today = local_today()
    return Template(
        "public_rosters.html",
        context={
            "days": await duty.public_rosters(db_of(request), today),
            "upcoming": await duty.upcoming_commitments(db_of(request), today),
        },
    )


@get("/admin/standards", guards=[require(*STAFF)], include_in_schema=False)
async def admin_standards() -> Template:
    """Every limit and checklist item with its verification mark: [U] values stay visible."""
    limits = sorted(all_limits(), key=lambda row: (row.quantity, row.standard, row.effective_from))
    checklists = [
        load_checklist(kind, version) for kind in list_kinds() for version in list_versions(kind)
    ]
    return Template(
        "admin_standards.html",
        context={
            "limits": limits,
            "unverified": sum(row.status == "U" for row in limits),
            "checklists": checklists,
        },
    )


def configure_templates(app: Litestar) -> None:
    """Jinja globals shared by every page: Chinese labels and local time."""
    env = app.template_engine.engine  # type: ignore[union-attr]
    env.globals.update(labels.ALL)
    env.filters["local"] = local_text
    env.globals["range_text"] = range_text


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
    leader_dashboard,
    roster_export,
    results_export,
    service_worker,
    enterprise_page,
    enterprise_history,
    leader_corrective,
    corrective_page,
    public_page,
    admin_standards,
    public_rosters,
    leader_whitelist,
    leader_whitelist_decide,
    leader_whitelist_review,
]
