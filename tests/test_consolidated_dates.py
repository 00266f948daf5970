"""The consolidated workbook writes a date as its Excel serial number with the date format
(issue 7: XlsxWriter's write_datetime costs microseconds per cell); the number must be the one
write_datetime would have stored, for every date it is used for."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from xlsxwriter.utility import _datetime_to_excel_datetime

from xltools.xlsx_rows import EXCEL_EPOCH, LAST_LOTUS_DAY


def _serial(d: date) -> float:
    return float(d.toordinal() - EXCEL_EPOCH)


def test_serial_matches_xlsxwriter_from_1900_03_01_to_9999():
    assert LAST_LOTUS_DAY + timedelta(days=1) == date(1900, 3, 1)
    first, last = date(1900, 3, 1).toordinal(), date(9999, 12, 31).toordinal()
    near_epoch = range(first, date(1902, 1, 1).toordinal())  # every day there
    ordinals = [*near_epoch, *range(near_epoch.stop, last, 37), last]
    for o in ordinals:
        d = date.fromordinal(o)
        assert _serial(d) == _datetime_to_excel_datetime(datetime(d.year, d.month, d.day), False, False), d
    assert len(ordinals) > 70_000


def test_known_serials():
    # Microsoft's documented examples: 1900-03-01 is serial 61, 2008-01-01 is 39448
    assert _serial(date(1900, 3, 1)) == 61.0
    assert _serial(date(2008, 1, 1)) == 39448.0
    assert _serial(date(2024, 3, 5)) == 45356.0
