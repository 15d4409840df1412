"""Citizen ID numbers (GB 11643-1999): the check digit, a real birth date, a known region; the
stored form is sealed and the shown form masked (first 6 and last 4); and no error message ever
repeats the number it refuses (issue 8, requirement 1)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from hypothesis import given
from hypothesis import strategies as st

from jianfu.core.errors import InvalidInput
from jianfu.core.id_numbers import (
    PROVINCE_CODES,
    check_character,
    id_number_clean,
    id_number_index,
    id_number_mask,
    id_number_open,
    id_number_seal,
)

VALID = "511002198001011239"
VALID_X = "51100219850615100X"
# GB 11643's weights of all 18 positions: 2^(17 - i) mod 11, the check character weighing 1.
ALL_WEIGHTS = [pow(2, 17 - i, 11) for i in range(18)]


def numbered(first17: str) -> str:
    """`first17` completed with the check character GB 11643 computes."""
    return first17 + check_character(first17)


def refusal(raw: str) -> InvalidInput:
    with pytest.raises(InvalidInput) as refused:
        id_number_clean(raw)
    return refused.value


def error_text(error: InvalidInput) -> str:
    return " ".join([str(error), str(error.message), repr(error.details), repr(error.args)])


# A valid number: a province of GB/T 2260, four more region digits, a birth date between 1900
# and 2020, a sequence number and the check character.
birth_dates = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2020, 12, 31))
valid_numbers = st.builds(
    lambda province, county, born, sequence: numbered(
        f"{province}{county:04d}{born:%Y%m%d}{sequence:03d}"
    ),
    st.sampled_from(sorted(PROVINCE_CODES)),
    st.integers(0, 9999),
    birth_dates,
    st.integers(0, 999),
)


# ---------------------------------------------------------------------------------------------
# Valid numbers


def test_a_valid_number_is_accepted_as_it_is():
    assert id_number_clean(VALID) == VALID


def test_a_number_ending_in_x_is_accepted():
    assert check_character(VALID_X[:17]) == "X"
    assert id_number_clean(VALID_X) == VALID_X


def test_a_lower_case_x_is_accepted_and_canonicalised_to_upper_case():
    assert id_number_clean(VALID_X.lower()) == VALID_X


def test_spaces_typed_inside_a_number_are_ignored():
    assert id_number_clean(" 511002 19800101 1239 ") == VALID
    assert id_number_clean("511002\u300019800101\t1239") == VALID


def test_a_leap_day_in_a_leap_year_is_a_valid_birth_date():
    assert id_number_clean(numbered("51100220000229001")) == numbered("51100220000229001")


def test_someone_born_today_has_a_valid_number():
    # 04:00 on 2 June in Beijing, still 1 June in UTC: the local date is what "today" means.
    with time_machine.travel(dt.datetime(2026, 6, 1, 20, tzinfo=dt.UTC), tick=False):
        number = numbered("51100220260602001")
        assert id_number_clean(number) == number


def test_the_residence_permits_of_hong_kong_macao_and_taiwan_residents_are_valid():
    for region in ("810000", "820000", "830000"):
        number = numbered(f"{region}19900101001")
        assert id_number_clean(number) == number


# ---------------------------------------------------------------------------------------------
# Refusals


def test_a_wrong_check_digit_is_refused():
    wrong = VALID[:17] + "0"
    error = refusal(wrong)
    assert error.code == "id_number_check"
    assert "校验码" in str(error)


def test_a_number_whose_check_character_should_be_x_is_refused_with_a_digit():
    error = refusal(VALID_X[:17] + "1")
    assert error.code == "id_number_check"


@pytest.mark.parametrize(
    "birth",
    [
        pytest.param("19800230", id="february_30"),
        pytest.param("19000229", id="february_29_of_1900_not_a_leap_year"),
        pytest.param("19801301", id="month_13"),
        pytest.param("19800100", id="day_0"),
        pytest.param("18991231", id="before_1900"),
        pytest.param("00000000", id="all_zeros"),
    ],
)
def test_a_number_with_an_impossible_birth_date_is_refused(birth):
    # The check digit is right, so only the date can be what is wrong.
    error = refusal(numbered(f"511002{birth}123"))
    assert error.code == "id_number_birth"
    assert "出生日期" in str(error)


def test_a_birth_date_in_the_future_is_refused():
    with time_machine.travel(dt.datetime(2026, 6, 1, 12, tzinfo=dt.UTC), tick=False):
        error = refusal(numbered("51100220260602001"))
    assert error.code == "id_number_birth"


@pytest.mark.parametrize("province", ["00", "10", "19", "24", "30", "66", "80", "84", "99"])
def test_a_number_of_an_unknown_region_is_refused(province):
    error = refusal(numbered(f"{province}100219800101123"))
    assert error.code == "id_number_region"
    assert "行政区划" in str(error)


def test_a_fifteen_digit_first_generation_number_is_refused_with_its_own_message():
    error = refusal("511002800101123")
    assert error.code == "id_number_length"
    assert "15位" in str(error)
    # Not the generic length message an 17-digit typo gets.
    assert str(error) != str(refusal(VALID[:17]))


@pytest.mark.parametrize(
    "raw",
    ["", "   ", "5110021980010112", VALID + "1", "51100219800101123Y", "5110021980O1011239"],
)
def test_anything_that_is_not_eighteen_characters_of_digits_and_a_final_x_is_refused(raw):
    error = refusal(raw)
    assert error.code == "id_number_length"


def test_an_x_anywhere_but_last_is_refused():
    error = refusal("X11002198001011239")
    assert error.code == "id_number_length"


# ---------------------------------------------------------------------------------------------
# Error messages never repeat the number


@pytest.mark.parametrize(
    "raw",
    [
        VALID[:17] + "0",  # check digit
        numbered("51100219800230123"),  # birth date
        numbered("99100219800101123"),  # region
        "511002800101123",  # 15 digits
        VALID[:16],  # too short
    ],
)
def test_an_error_message_never_contains_the_number_it_refuses(raw):
    text = error_text(refusal(raw))
    assert raw not in text
    # Nor the significant parts of it (the region and birth date, the sequence and check).
    assert raw[6:14] not in text
    assert raw[-4:] not in text


@given(raw=st.text(alphabet="0123456789Xx", min_size=15, max_size=19))
def test_no_refusal_of_any_typed_string_repeats_it(raw):
    try:
        id_number_clean(raw)
    except InvalidInput as error:
        assert raw.upper() not in error_text(error).upper()


# ---------------------------------------------------------------------------------------------
# The mask


def test_the_mask_keeps_the_first_six_and_the_last_four():
    assert id_number_mask(VALID) == "511002********1239"
    assert id_number_mask(VALID_X) == "511002********100X"


def test_anything_but_a_full_number_is_masked_completely():
    assert id_number_mask("511002") == "********"
    assert id_number_mask("") == "********"


@given(number=valid_numbers)
def test_the_mask_keeps_first_six_and_last_four_and_hides_exactly_eight(number):
    masked = id_number_mask(number)
    assert len(masked) == 18
    assert masked[:6] == number[:6]
    assert masked[-4:] == number[-4:]
    assert masked[6:14] == "*" * 8
    assert masked.count("*") == 8
    # The birth date, hidden, is nowhere in the masked form.
    assert number[6:14] not in masked


# ---------------------------------------------------------------------------------------------
# The check digit (GB 11643 MOD 11-2)


@given(number=valid_numbers)
def test_every_valid_number_satisfies_the_mod_11_2_rule(number):
    assert id_number_clean(number) == number
    values = [10 if ch == "X" else int(ch) for ch in number]
    # Σ aᵢ·Wᵢ ≡ 1 (mod 11) over all 18 positions: the standard's own statement of the rule.
    assert sum(a * w for a, w in zip(values, ALL_WEIGHTS, strict=True)) % 11 == 1


@given(number=valid_numbers, position=st.integers(0, 17), data=st.data())
def test_any_single_character_changed_is_rejected(number, position, data):
    choices = "0123456789X" if position == 17 else "0123456789"
    replacement = data.draw(st.sampled_from([c for c in choices if c != number[position]]))
    changed = number[:position] + replacement + number[position + 1 :]
    with pytest.raises(InvalidInput) as refused:
        id_number_clean(changed)
    assert changed not in error_text(refused.value)


@given(number=valid_numbers, position=st.integers(0, 16))
def test_two_adjacent_digits_swapped_are_rejected(number, position):
    a, b = number[position], number[position + 1]
    if a == b or "X" in (a, b):
        return
    swapped = number[:position] + b + a + number[position + 2 :]
    with pytest.raises(InvalidInput):
        id_number_clean(swapped)


# ---------------------------------------------------------------------------------------------
# Sealing


def test_a_sealed_number_opens_to_the_canonical_number_and_keeps_only_the_mask_in_clear():
    sealed = id_number_seal(VALID_X.lower())
    assert id_number_open(sealed.sealed) == VALID_X
    assert sealed.masked == "511002********100X"
    assert sealed.index == id_number_index(VALID_X)
    assert VALID_X.encode() not in sealed.sealed
    assert VALID_X.lower().encode() not in sealed.sealed


def test_the_same_number_typed_two_ways_has_one_index():
    assert id_number_seal(VALID_X.lower()).index == id_number_seal(f" {VALID_X} ").index


def test_two_numbers_have_different_indexes():
    assert id_number_index(VALID) != id_number_index(VALID_X)


def test_an_invalid_number_is_never_sealed():
    with pytest.raises(InvalidInput):
        id_number_seal(VALID[:17] + "0")
