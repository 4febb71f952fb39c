"""Solar Hijri (Jalali, the Iranian civil calendar) <-> Gregorian, exactly, with no dependency.

The arithmetic is Borkowski's, as used by the jalaali libraries: leap years follow the 33-year
cycles between the listed break years, which matches the astronomical calendar Iran uses for the
years 1178 to 1633 Solar Hijri (1799 to 2254), far beyond any date a wire carries.
"""

from __future__ import annotations

import datetime as dt

# Years (Solar Hijri) at which the leap-year cycle pattern changes.
_BREAKS = (
    -61,
    9,
    38,
    199,
    426,
    686,
    756,
    818,
    1111,
    1181,
    1210,
    1635,
    2060,
    2097,
    2192,
    2262,
    2324,
    2394,
    2456,
    3178,
)


def _div(a: int, b: int) -> int:
    """Integer division truncating toward zero (as the algorithm is written)."""
    return int(a / b)


def _mod(a: int, b: int) -> int:
    return a - _div(a, b) * b


def _cycle(jy: int) -> tuple[int, int, int]:
    """(leap, Gregorian year of Farvardin 1, day of March on which Farvardin 1 falls).

    `leap` is 0 when jy is a leap year (Esfand has 30 days)."""
    if not _BREAKS[0] <= jy < _BREAKS[-1]:
        raise ValueError(f"Solar Hijri year {jy} is out of range")
    gy = jy + 621
    leap_j = -14
    jp = _BREAKS[0]
    jump = 0
    for jm in _BREAKS[1:]:
        jump = jm - jp
        if jy < jm:
            break
        leap_j += _div(jump, 33) * 8 + _div(_mod(jump, 33), 4)
        jp = jm
    n = jy - jp
    leap_j += _div(n, 33) * 8 + _div(_mod(n, 33) + 3, 4)
    if _mod(jump, 33) == 4 and jump - n == 4:
        leap_j += 1
    leap_g = _div(gy, 4) - _div((_div(gy, 100) + 1) * 3, 4) - 150
    march = 20 + leap_j - leap_g
    if jump - n < 6:
        n = n - jump + _div(jump + 4, 33) * 33
    leap = _mod(_mod(n + 1, 33) - 1, 4)
    if leap == -1:
        leap = 4
    return leap, gy, march


def is_solar_hijri_leap(jy: int) -> bool:
    return _cycle(jy)[0] == 0


def solar_hijri_month_length(jy: int, jm: int) -> int:
    if jm <= 6:
        return 31
    if jm <= 11:
        return 30
    return 30 if is_solar_hijri_leap(jy) else 29


def solar_hijri_to_gregorian(jy: int, jm: int, jd: int) -> dt.date:
    """Raises ValueError for a day that does not exist (e.g. 30 Esfand of a common year)."""
    if not 1 <= jm <= 12 or not 1 <= jd <= solar_hijri_month_length(jy, jm):
        raise ValueError(f"{jy}/{jm}/{jd} is not a Solar Hijri date")
    _, gy, march = _cycle(jy)
    farvardin_1 = dt.date(gy, 3, march).toordinal()
    return dt.date.fromordinal(farvardin_1 + (jm - 1) * 31 - _div(jm, 7) * (jm - 7) + jd - 1)


def gregorian_to_solar_hijri(day: dt.date) -> tuple[int, int, int]:
    jy = day.year - 621
    leap, gy, march = _cycle(jy)
    k = day.toordinal() - dt.date(gy, 3, march).toordinal()
    if k >= 0:
        if k <= 185:
            return jy, 1 + _div(k, 31), _mod(k, 31) + 1
        k -= 186
    else:
        jy -= 1
        k += 179
        if leap == 1:
            k += 1
    return jy, 7 + _div(k, 30), _mod(k, 30) + 1
