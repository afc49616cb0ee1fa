"""Checks for the identifiers the registers use: USCC, VIN and Chinese plates.

Pure functions, shared by imports, forms and the demo city. Each check answers
with a result that says what was expected, so callers can word the error.
"""

from __future__ import annotations

import re

import msgspec

USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
USCC_PATTERN = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")

VIN_VALUES = {
    **{str(d): d for d in range(10)},
    **dict(zip("ABCDEFGH", range(1, 9), strict=True)),
    **dict(zip("JKLMN", range(1, 6), strict=True)),
    "P": 7,
    "R": 9,
    **dict(zip("STUVWXYZ", range(2, 10), strict=True)),
}
VIN_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)
VIN_PATTERN = re.compile(r"^[A-HJ-NPR-Z0-9]{17}$")

PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
_PLATE_ORDINARY = re.compile(
    rf"^[{PROVINCES}][A-HJ-NP-Z][A-HJ-NP-Z0-9]{{4}}[A-HJ-NP-Z0-9挂学警港澳]$"
)
_PLATE_NEV_SMALL = re.compile(rf"^[{PROVINCES}][A-HJ-NP-Z][DF][A-HJ-NP-Z0-9]\d{{4}}$")
_PLATE_NEV_SMALL_EXPANDED = re.compile(
    rf"^[{PROVINCES}][A-HJ-NP-Z][ABCEGHJK][A-HJ-NP-Z0-9]\d{{4}}$"
)
_PLATE_NEV_LARGE = re.compile(rf"^[{PROVINCES}][A-HJ-NP-Z]\d{{5}}[DF]$")


class IdentifierCheck(msgspec.Struct, frozen=True):
    """The outcome of checking one identifier.

    ``valid`` is False when the format is wrong. ``warning`` is set when the
    format is right but something deserves a person's confirmation (a USCC
    whose check character fails: some issued codes do).
    """

    value: str
    valid: bool
    kind: str = ""
    message: str = ""
    warning: str = ""


def uscc_check_char(first17: str) -> str:
    """The GB 32100 check character for the first 17 characters of a USCC."""
    total = sum(USCC_CHARS.index(c) * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_CHARS[(31 - total % 31) % 31]


def check_uscc(code: str) -> IdentifierCheck:
    """Check a 统一社会信用代码: format is required, the checksum only warned about."""
    value = code.strip().upper()
    if not USCC_PATTERN.match(value):
        return IdentifierCheck(
            value,
            False,
            "uscc",
            message=f"统一社会信用代码应为18位（数字及除I、O、S、V、Z外的大写字母，第3-8位为数字），收到“{code}”",
        )
    expected = uscc_check_char(value[:17])
    if value[17] != expected:
        return IdentifierCheck(
            value,
            True,
            "uscc",
            warning=f"统一社会信用代码“{value}”校验位应为“{expected}”，实为“{value[17]}”，请人工核实",
        )
    return IdentifierCheck(value, True, "uscc")


def vin_check_digit(vin: str) -> str:
    """The ISO 3779 / GB 16735 check digit (position 9) for a 17-character VIN."""
    total = sum(VIN_VALUES[c] * w for c, w in zip(vin, VIN_WEIGHTS, strict=True))
    rest = total % 11
    return "X" if rest == 10 else str(rest)


def check_vin(vin: str) -> IdentifierCheck:
    """Check a vehicle identification number, check digit included."""
    value = vin.strip().upper()
    if not VIN_PATTERN.match(value):
        return IdentifierCheck(
            value,
            False,
            "vin",
            message=f"车辆识别代号应为17位数字或字母（不含I、O、Q），收到“{vin}”",
        )
    expected = vin_check_digit(value)
    if value[8] != expected:
        return IdentifierCheck(
            value,
            False,
            "vin",
            message=f"车辆识别代号“{value}”第9位校验位应为“{expected}”，实为“{value[8]}”",
        )
    return IdentifierCheck(value, True, "vin")


def check_plate(plate: str) -> IdentifierCheck:
    """Check a Chinese plate and say which kind it is (GA 36-2018)."""
    value = plate.strip().upper().replace(" ", "").replace("·", "")
    if _PLATE_NEV_SMALL.match(value):
        return IdentifierCheck(value, True, "nev_small")
    if _PLATE_NEV_LARGE.match(value):
        return IdentifierCheck(value, True, "nev_large")
    if _PLATE_NEV_SMALL_EXPANDED.match(value):
        return IdentifierCheck(
            value,
            True,
            "nev_small",
            warning=f"号牌“{value}”使用扩展的新能源字母，请核实",
        )
    if _PLATE_ORDINARY.match(value):
        kind = "trailer" if value.endswith("挂") else "ordinary"
        return IdentifierCheck(value, True, kind)
    return IdentifierCheck(
        value,
        False,
        "plate",
        message=f"号牌应为省份简称+发牌机关字母+5位（新能源6位）字母或数字，收到“{plate}”",
    )
