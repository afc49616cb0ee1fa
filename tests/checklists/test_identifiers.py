"""USCC, VIN and plate checks against the vectors of standards.md §5."""

from __future__ import annotations

import pytest

from checklists.identifiers import (
    check_plate,
    check_uscc,
    check_vin,
    uscc_check_char,
    vin_check_digit,
)

USCC_PASS = [
    "91350200776049653A",
    "91440101MA5CJQ4N59",
    "913502000728319549",
    "9135021359498494XQ",
    "91350213678251743X",
    "123502001549897397",
]


@pytest.mark.parametrize("code", USCC_PASS)
def test_uscc_vectors_pass(code: str) -> None:
    check = check_uscc(code)
    assert (check.valid, check.warning, check.message) == (True, "", "")
    assert uscc_check_char(code[:17]) == code[17]


def test_uscc_checksum_failure_warns_instead_of_refusing() -> None:
    check = check_uscc("91350203M0001QAY9B")
    assert check.valid
    assert uscc_check_char("91350203M0001QAY9") == "9"
    assert "应为“9”" in check.warning and "实为“B”" in check.warning


def test_uscc_is_normalised_before_checking() -> None:
    assert check_uscc(" 91350200776049653a ").value == "91350200776049653A"


@pytest.mark.parametrize(
    "code",
    [
        "91350200776049653",  # 17 characters
        "913502007760496531A",  # 19 characters
        "9135020077604965IA",  # I is not in the character set
        "91A50200776049653A",  # positions 3-8 are digits
        "",
    ],
)
def test_uscc_bad_format_is_refused(code: str) -> None:
    check = check_uscc(code)
    assert not check.valid
    assert f"收到“{code}”" in check.message


@pytest.mark.parametrize(("vin", "digit"), [("1M8GDM9AXKP042788", "X"), ("JHMCM56557C404453", "5")])
def test_vin_vectors_pass(vin: str, digit: str) -> None:
    assert vin_check_digit(vin) == digit
    assert check_vin(vin).valid
    assert check_vin(vin.lower()).valid


def test_vin_wrong_check_digit_is_refused() -> None:
    check = check_vin("JHMCM56547C404453")
    assert not check.valid
    assert "应为“5”" in check.message and "实为“4”" in check.message


@pytest.mark.parametrize("vin", ["JHMCM56557C40445", "JHMCM5655IC404453", "JHMCM5655OC404453"])
def test_vin_bad_format_is_refused(vin: str) -> None:
    assert not check_vin(vin).valid


@pytest.mark.parametrize(
    ("plate", "kind"),
    [
        ("豫K12345", "ordinary"),
        ("豫KA1B2C", "ordinary"),
        ("豫K·12345", "ordinary"),
        ("豫K 12345", "ordinary"),
        ("豫K1234学", "ordinary"),
        ("豫K1234警", "ordinary"),
        ("粤Z1234港", "ordinary"),
        ("粤Z1234澳", "ordinary"),
        ("豫K1234挂", "trailer"),
        ("豫KD12345", "nev_small"),
        ("豫KFA1234", "nev_small"),
        ("豫K12345D", "nev_large"),
        ("京A12345F", "nev_large"),
    ],
)
def test_plates_of_every_kind(plate: str, kind: str) -> None:
    check = check_plate(plate)
    assert (check.valid, check.kind, check.warning) == (True, kind, "")


def test_expanded_new_energy_letters_warn() -> None:
    check = check_plate("豫KA12345")
    assert (check.valid, check.kind) == (True, "nev_small")
    assert "扩展" in check.warning


@pytest.mark.parametrize(
    "plate",
    ["豫K1234", "豫KI2345", "豫K1234O", "XK12345", "豫K123456", "豫1K2345", "豫KD1234F", ""],
)
def test_bad_plates_are_refused(plate: str) -> None:
    check = check_plate(plate)
    assert not check.valid
    assert "收到" in check.message
