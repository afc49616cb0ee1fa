"""Time: stored as UTC, shown and counted in days in Asia/Shanghai."""

from __future__ import annotations

import argparse
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

LOCAL = ZoneInfo("Asia/Shanghai")
# Days the service accepts from people: wide enough for imported history, and far
# from the ends of `date`, where a day's end or a window's start cannot be computed.
FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2099, 12, 31)


def day_argument(text: str) -> date:
    """A command-line day: YYYY-MM-DD between FIRST_DAY and LAST_DAY (an argparse type)."""
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"日期应为 YYYY-MM-DD，收到“{text}”") from None
    if not FIRST_DAY <= day <= LAST_DAY:
        raise argparse.ArgumentTypeError(f"日期应在 {FIRST_DAY} 至 {LAST_DAY} 之间，收到 {day}")
    return day


def now_utc() -> datetime:
    return datetime.now(UTC)


def local_today(now: datetime | None = None) -> date:
    """Today's date in Asia/Shanghai."""
    return (now or now_utc()).astimezone(LOCAL).date()


def to_utc_text(moment: datetime) -> str:
    """An aware datetime as the UTC string the database stores."""
    if moment.tzinfo is None:
        raise ValueError("a timestamp must carry its UTC offset")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_utc(text: str) -> datetime:
    """A stored UTC string back into an aware datetime."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def local_date(text: str) -> date:
    """The local day a stored UTC timestamp falls on."""
    return parse_utc(text).astimezone(LOCAL).date()


def local_text(text: str, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A stored UTC timestamp formatted in local time, for pages."""
    return parse_utc(text).astimezone(LOCAL).strftime(fmt)


def day_end_utc(day: date) -> str:
    """The first UTC instant after the local day ends, for 'on or before day' queries."""
    start_next = datetime.combine(day + timedelta(days=1), time(0), LOCAL)
    return to_utc_text(start_next)


def local_noon_utc(day: date) -> str:
    """Local noon of a day as stored UTC text, for records that carry only a date."""
    return to_utc_text(datetime.combine(day, time(12), LOCAL))
