"""Solar Hijri <-> Gregorian, checked against dates of the official Iranian calendar."""

from __future__ import annotations

import datetime as dt

import pytest

from tabadol.enrich.calendars import (
    gregorian_to_solar_hijri,
    is_solar_hijri_leap,
    solar_hijri_month_length,
    solar_hijri_to_gregorian,
)

KNOWN = [
    ((1357, 11, 22), dt.date(1979, 2, 11)),  # 22 Bahman 1357
    ((1399, 1, 1), dt.date(2020, 3, 20)),  # Nowruz
    ((1399, 12, 30), dt.date(2021, 3, 20)),  # 30 Esfand of a leap year
    ((1400, 1, 1), dt.date(2021, 3, 21)),
    ((1402, 1, 1), dt.date(2023, 3, 21)),
    ((1403, 1, 1), dt.date(2024, 3, 20)),
    ((1403, 9, 2), dt.date(2024, 11, 22)),  # 2 Azar 1403
    ((1403, 12, 30), dt.date(2025, 3, 20)),
    ((1404, 1, 1), dt.date(2025, 3, 21)),
    ((1405, 9, 2), dt.date(2026, 11, 23)),
]


@pytest.mark.parametrize(("solar", "gregorian"), KNOWN)
def test_known_dates_both_ways(solar: tuple[int, int, int], gregorian: dt.date) -> None:
    assert solar_hijri_to_gregorian(*solar) == gregorian
    assert gregorian_to_solar_hijri(gregorian) == solar


def test_every_day_of_two_centuries_round_trips_without_gaps() -> None:
    day, previous = dt.date(1921, 3, 21), None  # 1 Farvardin 1300
    while day < dt.date(2121, 3, 21):
        solar = gregorian_to_solar_hijri(day)
        assert solar_hijri_to_gregorian(*solar) == day
        if previous is not None:  # consecutive days are consecutive Solar Hijri days
            y, m, d = previous
            expected = (
                (y, m, d + 1)
                if d < solar_hijri_month_length(y, m)
                else ((y, m + 1, 1) if m < 12 else (y + 1, 1, 1))
            )
            assert solar == expected
        previous = solar
        day += dt.timedelta(days=1)


def test_leap_years_of_the_current_cycle() -> None:
    assert [y for y in range(1395, 1410) if is_solar_hijri_leap(y)] == [1395, 1399, 1403, 1408]


@pytest.mark.parametrize("bad", [(1402, 12, 30), (1403, 13, 1), (1403, 7, 31), (1403, 0, 1), (1403, 1, 0)])
def test_days_that_do_not_exist_are_refused(bad: tuple[int, int, int]) -> None:
    with pytest.raises(ValueError):
        solar_hijri_to_gregorian(*bad)
