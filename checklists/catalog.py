"""Checklist definitions shipped as ``definitions/<kind>.v<N>.toml``.

Old versions stay in the package for ever: an inspection is judged with the
version it was filled in with, so a definition file is never edited once
released; a change is a new file with the next version number.
"""

from __future__ import annotations

import functools
import re
import tomllib
from importlib import resources

import msgspec

from checklists.errors import ChecklistError
from checklists.model import Checklist

_FILE = re.compile(r"^(?P<kind>[a-z_]+)\.v(?P<version>\d+)\.toml$")


def _files() -> dict[str, dict[str, str]]:
    """Every definition file name, by kind and version."""
    found: dict[str, dict[str, str]] = {}
    for entry in resources.files("checklists").joinpath("definitions").iterdir():
        match = _FILE.match(entry.name)
        if match:
            found.setdefault(match["kind"], {})[match["version"]] = entry.name
    return found


def list_kinds() -> list[str]:
    """The target kinds that have a checklist."""
    return sorted(_files())


def list_versions(kind: str) -> list[str]:
    """The versions of a kind's checklist, oldest first."""
    versions = _files().get(kind)
    if not versions:
        raise ChecklistError(f"检查对象类型应为 {'、'.join(list_kinds())} 之一，收到“{kind}”")
    return sorted(versions, key=int)


def load_checklist(kind: str, version: str | None = None) -> Checklist:
    """A kind's checklist at a version, the latest when ``version`` is None."""
    versions = list_versions(kind)
    chosen = versions[-1] if version is None else str(version).removeprefix("v")
    if chosen not in versions:
        raise ChecklistError(
            f"“{kind}”检查表的版本应为 {'、'.join(versions)} 之一，收到“{version}”"
        )
    return _load(_files()[kind][chosen])


@functools.cache
def _load(name: str) -> Checklist:
    text = resources.files("checklists").joinpath("definitions", name).read_text("utf-8")
    try:
        checklist = msgspec.convert(tomllib.loads(text), Checklist)
    except (tomllib.TOMLDecodeError, msgspec.ValidationError) as exc:
        raise ChecklistError(f"检查表文件 {name} 格式错误：{exc}") from exc
    _check(checklist, name)
    return checklist


def _check(checklist: Checklist, name: str) -> None:
    """Refuse a definition whose parts do not fit together."""
    # Imported here: rules imports this package's model, not the catalog.
    from checklists.rules import RULES

    match = _FILE.match(name)
    assert match is not None
    if (checklist.kind, checklist.version) != (match["kind"], match["version"]):
        raise ChecklistError(f"检查表文件 {name} 的 kind/version 与文件名不符")
    keys = [item.key for item in checklist.items]
    if len(keys) != len(set(keys)):
        raise ChecklistError(f"检查表文件 {name} 有重复的检查项 key")
    for item in checklist.items:
        if item.rule not in RULES:
            raise ChecklistError(f"{name} 检查项“{item.key}”的规则“{item.rule}”不存在")
        unknown = set(item.inputs) - set(keys)
        if unknown:
            raise ChecklistError(f"{name} 检查项“{item.key}”引用了不存在的输入 {sorted(unknown)}")
        if item.type == "choice" and not item.choices:
            raise ChecklistError(f"{name} 选择题“{item.key}”缺少 choices")
