"""The ``xuncha`` command: serve, import, score, roster, users, audit, checklists."""

from __future__ import annotations

import argparse
import asyncio
import csv
import getpass
import io
import json
import logging
import sys
from collections.abc import Callable, Coroutine, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

import msgspec

from inspection.clock import day_argument
from inspection.db import Database

logger = logging.getLogger(__name__)


def _whoami() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "unknown"


# Who ran a command, for the audit log.
CLI_ACTOR = f"cli:{_whoami()}"

Handler = Callable[[argparse.Namespace], Coroutine[Any, Any, int]]


_day = day_argument


def _target_id(text: str) -> str:
    """A target id as typed: surrounding spaces dropped, and not empty."""
    if not text.strip():
        raise argparse.ArgumentTypeError("应为检查对象编号，收到空白")
    return text.strip()


def _policy(args: argparse.Namespace | None) -> Any:
    from inspection.settings import read_one
    from scoring.policy import load_policy

    return load_policy(read_one("XUNCHA_POLICY"))


def _out(text: str) -> None:
    sys.stdout.write(text if text.endswith("\n") else text + "\n")


async def cmd_serve(args: argparse.Namespace) -> int:
    """Run the service; with --demo, load the demo city first when the database is empty."""
    import uvicorn

    from inspection.app import create_app
    from inspection.settings import Settings

    settings = Settings.from_env(db=args.db, media=args.media)
    if args.demo:
        await _load_demo_if_empty(settings.db)
    app = create_app(settings)
    _out(f"巡查 Xuncha 已启动：http://{args.host}:{args.port}/")
    config = uvicorn.Config(app, host=args.host, port=args.port, log_level="info")
    await uvicorn.Server(config).serve()
    return 0


async def _load_demo_if_empty(path: Path) -> None:
    from inspection import rosters
    from inspection.clock import local_today
    from inspection.demo import load_demo
    from inspection.scores import record_review

    async with Database(path) as db:
        if await db.fetchval("SELECT COUNT(*) FROM enterprises"):
            _out(f"数据库 {path} 已有数据，未加载演示数据。")
            return
        summary = await load_demo(db, today=local_today())
        policy = _policy(None)
        # The monthly job would have reviewed tiers at the last two month-ends: with
        # them the rule that a tier falls only after two reviews has history to read.
        last = local_today().replace(day=1) - timedelta(days=1)
        for month_end in (last.replace(day=1) - timedelta(days=1), last):
            await record_review(db, policy, month_end, actor="demo")
        # Inspectors who log in to the demo should find today's visits waiting.
        await rosters.generate(db, policy, local_today(), actor="demo")
    _out(summary.notice)
    _out(
        f"演示数据：{summary.enterprises} 家企业，{sum(summary.targets.values())} 个检查对象，"
        f"{summary.inspectors} 名检查人员，{summary.inspections} 条历史检查记录"
    )
    _out("演示账号（用户名 / 密码 / 角色）：")
    for username, password, role in summary.logins:
        _out(f"  {username} / {password} / {role}")


async def cmd_demo(args: argparse.Namespace) -> int:
    """Load the synthetic demo city into an empty database."""
    await _load_demo_if_empty(args.db)
    return 0


async def cmd_import(args: argparse.Namespace) -> int:
    """Import one register file; nothing is stored when a row is rejected, unless --skip-bad."""
    from inspection.imports import import_file

    async with Database(args.db) as db:
        report = await import_file(
            db, args.kind, args.file, mapping=args.map, skip_bad=args.skip_bad, actor=CLI_ACTOR
        )
    for warning in report.warnings:
        _out(f"警告：{warning}")
    for error in report.rejected:
        _out(f"拒绝：{error}")
    _out(
        f"{args.file}：共 {report.rows} 行，新增 {report.added}，更新 {report.updated}，"
        f"未变 {report.unchanged}，拒绝 {len(report.rejected)}"
        + ("" if report.stored else "；未写入任何数据")
    )
    return 0 if report.stored and (not report.rejected or args.skip_bad) else 1


async def cmd_score(args: argparse.Namespace) -> int:
    """Print every target's tier, interval, score and factors as of a day."""
    from inspection.clock import local_today
    from inspection.scores import score_target, score_targets

    as_of = args.as_of or local_today()
    async with Database(args.db) as db:
        if args.explain is not None:
            found = await score_target(db, _policy(args), as_of, args.explain)
            if found is None:
                _out(f"检查对象“{args.explain}”不存在")
                return 1
            scores = [found]
        else:
            scores = await score_targets(db, _policy(args), as_of)
    if args.explain is not None and args.format == "table":
        _out(_explain(scores[0]))
    else:
        _out(_format_scores(scores, args.format))
    return 0


def _explain(score: Any) -> str:
    lines = [
        f"检查对象 {score.target_id}：等级 {score.tier}，最长间隔 {score.interval_days} 天，"
        f"风险分 {score.points:g}（策略 {score.policy_version}）"
    ]
    for factor in score.factors:
        records = "、".join(factor.records) or "—"
        lines.append(
            f"  {factor.label}：{factor.points:g} 分；依据 {records}"
            + (f"；{factor.detail}" if factor.detail else "")
        )
    if score.lower_tier_hint:
        lines.append(f"  降级条件：{score.lower_tier_hint}")
    return "\n".join(lines)


def _format_scores(scores: Sequence[Any], fmt: str) -> str:
    if fmt == "json":
        return msgspec.json.encode(scores).decode()
    rows = [
        [
            s.target_id,
            s.tier,
            s.interval_days,
            f"{s.points:g}",
            s.due_on.isoformat(),
            s.must_visit or "",
            "; ".join(f"{f.code}={f.points:g}" for f in s.factors),
        ]
        for s in scores
    ]
    header = ["target_id", "tier", "interval_days", "points", "due_on", "must_visit", "factors"]
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerows([header, *rows])
        return buffer.getvalue()
    return "\n".join("\t".join(str(c) for c in row) for row in [header, *rows])


async def cmd_roster(args: argparse.Namespace) -> int:
    """Generate, show or verify a day's roster."""
    from inspection import rosters

    async with Database(args.db) as db:
        if args.action == "generate":
            roster_id = await rosters.generate(
                db,
                _policy(args),
                args.date,
                actor=CLI_ACTOR,
                seed=args.seed,
                redraw_reason=args.redraw_reason,
            )
            shown = await rosters.show(db, args.date)
            _out(
                f"已生成 {args.date} 检查计划（编号 {roster_id}），"
                f"{len(shown['assignments'])} 项任务，种子 {shown['seed']}"
            )
            if shown["capacity"] == 0:
                _out("提示：当日没有可成组的在岗检查人员（未导入、请假或不足两人），计划为空。")
            if shown["unpaired"]:
                _out(f"提示：{len(shown['unpaired'])} 个抽中对象没有可派的检查组，"
                     "见 roster show，须人工安排。")
            return 0
        if args.action == "show":
            shown = await rosters.show(db, args.date)
            _out(
                json.dumps(shown, ensure_ascii=False, indent=1)
                if args.format == "json"
                else _roster_table(shown)
            )
            return 0
        differences = await rosters.verify(db, args.date)
    if differences:
        for d in differences:
            _out(f"不一致：{d.label or d.what}（{d.what}）\n"
                 f"  存储：{d.stored}\n  重算：{d.redrawn}")
        return 1
    _out(f"{args.date} 检查计划复核一致：由存储的种子和输入重新抽取，结果完全相同。")
    return 0


def _roster_table(shown: dict[str, Any]) -> str:
    lines = [
        f"{shown['day']} 检查计划  种子 {shown['seed']}  策略 {shown['policy_version']}",
        f"候选摘要 {shown['candidates_digest']}",
        f"检查员摘要 {shown['inspectors_digest']}",
    ]
    for a in shown["assignments"]:
        lines.append(
            f"{a['position']:>4} {a['target_id']:<16} {a['reason']:<12} "
            f"p={a['probability']:.4f} {a['inspector_a']}+{a['inspector_b']} "
            f"{a['target_name']}"
        )
    if shown["unpaired"]:
        lines.append("抽中但没有可派的检查组（回避、同组连查或名额已满），须人工安排：")
        lines += [f"     {u['target_id']:<16} {u['district']} {u['target_name']}"
                  for u in shown["unpaired"]]
    if shown["backlog"]:
        lines.append(f"超出当日容量、顺延的必查对象：{shown['backlog']} 个")
    return "\n".join(lines)


async def cmd_user(args: argparse.Namespace) -> int:
    """Add a user; the password comes from standard input unless it is a terminal."""
    from inspection.users import create_user

    if sys.stdin.isatty():
        password = getpass.getpass("密码：")
        if getpass.getpass("再次输入密码：") != password:
            _out("两次输入的密码不一致")
            return 1
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    async with Database(args.db) as db, db.transaction() as tx:
        await create_user(
            tx,
            args.username,
            password,
            args.role,
            enterprise_uscc=args.enterprise,
            inspector_id=args.inspector,
            actor=CLI_ACTOR,
        )
    _out(f"已添加用户 {args.username}（{args.role}）")
    return 0


async def cmd_audit(args: argparse.Namespace) -> int:
    """Check the audit log's hash chain and name the first broken entry."""
    from inspection import audit

    async with Database(args.db) as db:
        count, broken = await audit.verify(db)
    if broken is not None:
        _out(f"审计日志在第 {broken.entry_id} 条断裂：应为 {broken.expected}，实为 {broken.found}")
        return 1
    _out(f"审计日志完整：{count} 条记录，哈希链无断裂。")
    return 0


async def cmd_checklist(args: argparse.Namespace) -> int:
    """Print a checklist definition, or judge answers from a JSON file."""
    from checklists import answers_from_json, judge, judgement_to_json, load_checklist

    # A wrong kind, version, file or standard is the user's to fix: a message, not a trace.
    try:
        checklist = load_checklist(args.kind, getattr(args, "version", None))
        if args.action == "show":
            _show_checklist(checklist, args.format)
            return 0
        answers = answers_from_json(_read_file(args.file))
        result = judge(checklist, answers, standard=args.standard, on=args.date)
    except ValueError as exc:
        where = f"{args.file}：" if args.action == "judge" else ""
        _out(f"错误：{where}{exc}")
        return 2
    _out(judgement_to_json(result).decode())
    return 0


def _show_checklist(checklist: Any, fmt: str) -> None:
    if fmt == "json":
        _out(msgspec.json.encode(checklist).decode())
        return
    _out(f"{checklist.title}（{checklist.id} 第 {checklist.version} 版）")
    for item in checklist.items:
        _out(f"  {item.key}: {item.label} [{item.type}]")


def _read_file(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ValueError(f"无法读取答案文件：{exc.strerror}") from None


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--db",
        type=Path,
        default=Path("./xuncha.db"),
        help="SQLite database file (default ./xuncha.db)",
    )
    parser = argparse.ArgumentParser(prog="xuncha", description="巡查：现场检查与差异化执法")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", parents=[common], help="run the web service")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--media", type=Path, default=None, help="photo folder (XUNCHA_MEDIA)")
    serve.add_argument("--demo", action="store_true", help="load the demo city if empty")
    serve.set_defaults(handler=cmd_serve)

    demo = sub.add_parser("demo", parents=[common], help="load the synthetic demo city")
    demo.set_defaults(handler=cmd_demo)

    imp = sub.add_parser("import", parents=[common], help="import a register (CSV or XLSX)")
    imp.add_argument(
        "kind",
        choices=[
            "enterprises",
            "targets",
            "whitelist",
            "complaints",
            "violations",
            "inspections",
            "inspectors",
        ],
    )
    imp.add_argument("file", type=Path)
    imp.add_argument("--map", type=Path, default=None, help="MAP.toml for other column names")
    imp.add_argument("--skip-bad", action="store_true", help="store the good rows anyway")
    imp.set_defaults(handler=cmd_import)

    score = sub.add_parser("score", parents=[common], help="print tiers, intervals, factors")
    score.add_argument("--as-of", type=_day, default=None)
    score.add_argument("--format", choices=["table", "json", "csv"], default="table")
    score.add_argument(
        "--explain",
        metavar="TARGET",
        type=_target_id,
        default=None,
        help="every factor of one target, with its records",
    )
    score.set_defaults(handler=cmd_score)

    roster = sub.add_parser("roster", help="generate, show or verify a day's roster")
    actions = roster.add_subparsers(dest="action", required=True)
    for action in ("generate", "show", "verify"):
        p = actions.add_parser(action, parents=[common])
        p.add_argument("--date", type=_day, required=True)
        if action == "generate":
            p.add_argument("--seed", default=None,
                           help="1-128 letters, digits, - _ . (default: the committed seed)")
            p.add_argument(
                "--redraw-reason",
                default=None,
                help="replace the day's roster, keeping the old one",
            )
        if action == "show":
            p.add_argument("--format", choices=["table", "json"], default="table")
        p.set_defaults(handler=cmd_roster)

    user = sub.add_parser("user", help="manage users")
    user_actions = user.add_subparsers(dest="action", required=True)
    add = user_actions.add_parser("add", parents=[common])
    add.add_argument("username")
    add.add_argument(
        "--role", required=True, choices=["admin", "leader", "inspector", "enterprise"]
    )
    add.add_argument("--enterprise", metavar="USCC", default=None)
    add.add_argument("--inspector", metavar="ID", default=None)
    add.set_defaults(handler=cmd_user)

    aud = sub.add_parser("audit", help="check the audit log")
    aud_actions = aud.add_subparsers(dest="action", required=True)
    aud_actions.add_parser("verify", parents=[common]).set_defaults(handler=cmd_audit)

    from inspection.backtests import register as register_backtest

    register_backtest(sub, common)

    chk = sub.add_parser("checklist", help="show a checklist or judge answers")
    chk_actions = chk.add_subparsers(dest="action", required=True)
    show = chk_actions.add_parser("show")
    show.add_argument("kind")
    show.add_argument("--version", default=None)
    show.add_argument("--format", choices=["text", "json"], default="text")
    show.set_defaults(handler=cmd_checklist)
    judge = chk_actions.add_parser("judge")
    judge.add_argument("kind")
    judge.add_argument("file", type=Path)
    judge.add_argument("--version", default=None)
    judge.add_argument("--standard", default=None, help="standard code, e.g. GB18483-2001")
    judge.add_argument("--date", type=_day, default=None, help="judge with the limits of DATE")
    judge.set_defaults(handler=cmd_checklist)
    return parser


# Commands that only read: pointing them at a missing file is a typo, not a new database.
READS_ONLY = {"score", "audit", "backtest"}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``xuncha`` command."""
    from inspection.errors import XunchaError
    from inspection.fonts import CjkFontMissingError
    from inspection.settings import SettingsError
    from scoring.policy import PolicyError

    args = build_parser().parse_args(argv)
    level = logging.INFO if args.command == "serve" else logging.WARNING
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    reads_only = args.command in READS_ONLY or getattr(args, "action", "") in ("show", "verify")
    db = getattr(args, "db", None)
    if reads_only and db is not None and not Path(db).exists():
        _out(f"错误：数据库文件 {db} 不存在")
        return 2
    handler: Handler = args.handler
    try:
        return asyncio.run(handler(args))
    except (XunchaError, SettingsError, CjkFontMissingError, PolicyError) as exc:
        _out(f"错误：{getattr(exc, 'message', exc)}")
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
