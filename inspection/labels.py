"""Chinese names of the codes the data uses, for pages and exports."""

from __future__ import annotations

KINDS = {"construction_site": "建筑工地", "restaurant": "餐饮单位", "diesel_truck": "柴油货车"}
TIERS = {
    "W": "标杆（白名单）",
    "L": "低风险",
    "M": "中风险",
    "E": "较高风险",
    "H": "高风险",
    "X": "重点监管",
}
REASONS = {
    "complaint": "投诉核查",
    "reinspection": "整改复查",
    "watchlist": "重点监管",
    "overdue": "超期未查",
    "random": "随机抽查",
    "uniform": "均匀抽查",
}
VERDICTS = {"pass": "合格", "fail": "不合格", "void": "测量无效须重测"}
RESULTS = {"pass": "符合", "fail": "不符合", "na": "不适用", "void": "无效"}
ROLES = {"admin": "管理员", "leader": "执法队长", "inspector": "检查人员", "enterprise": "企业"}
SEVERITIES = {"critical": "严重", "serious": "较重", "minor": "一般", "administrative": "轻微"}
STATUSES = {"planned": "待检查", "done": "已检查", "cancelled": "已取消"}

PHOTO_FLAGS = {
    "far_from_target": "远离检查对象",
    "taken_long_before": "拍摄时间早于检查",
    "missing_time": "无拍摄时间",
    "missing_offset": "拍摄时间无时区",
}

ALL = {
    "KINDS": KINDS,
    "TIERS": TIERS,
    "REASONS": REASONS,
    "VERDICTS": VERDICTS,
    "RESULTS": RESULTS,
    "ROLES": ROLES,
    "SEVERITIES": SEVERITIES,
    "STATUSES": STATUSES,
    "PHOTO_FLAGS": PHOTO_FLAGS,
}
