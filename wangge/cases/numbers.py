"""Readable case numbers: WG-<year>-<serial of the year, at least 6 digits>, e.g. WG-2026-000123.

On PostgreSQL the serial comes from a sequence per year (`cases_number_2026`), which hands out
numbers without holding any lock until the reporting transaction commits, so reports are filed side
by side. A report that is rolled back leaves its number unused: numbers are unique and rising, not
gapless. The sequence is created by the year's first report, starting after the highest number
already given that year (by the counter row below or in the cases), so a database that moves from
SQLite keeps counting on.

Elsewhere (SQLite, which writes one transaction at a time anyway) the serial is the year's
`CaseNumberCounter` row, raised and read in one UPDATE … RETURNING; its lock lasts to the commit.
Either way the database's unique constraint on `Case.number` is the last word.
"""

from django.db import DatabaseError, connection, transaction
from django.db.models.functions import Length

from .models import Case, CaseNumberCounter


def allocate_number(year: int) -> str:
    """The next number of the year. Call inside the transaction that creates the case."""
    serial = _from_sequence(year) if connection.vendor == "postgresql" else _from_counter(year)
    return format_number(year, serial)


def format_number(year: int, serial: int) -> str:
    return f"WG-{year}-{serial:06d}"


def _from_counter(year: int) -> int:
    table = CaseNumberCounter._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET last = last + 1 WHERE year = %s RETURNING last", [year])
        row = cursor.fetchone()
        if row is None:
            # The year's first case: create its row after the highest number already given that
            # year (whoever comes second waits, then finds it).
            CaseNumberCounter.objects.bulk_create(
                [CaseNumberCounter(year=year, last=highest_serial(year))], ignore_conflicts=True
            )
            cursor.execute(f"UPDATE {table} SET last = last + 1 WHERE year = %s RETURNING last", [year])
            row = cursor.fetchone()
    return row[0]


def _sequence_name(year: int) -> str:
    return f"cases_number_{int(year)}"


def _from_sequence(year: int) -> int:
    name = _sequence_name(year)
    with connection.cursor() as cursor:
        # to_regclass gives NULL for a missing sequence, and nextval(NULL) is NULL: no error to
        # recover from on the common path, one round trip.
        cursor.execute("SELECT nextval(to_regclass(%s))", [name])
        value = cursor.fetchone()[0]
        if value is None:
            _create_sequence(cursor, year)
            cursor.execute("SELECT nextval(%s::regclass)", [name])
            value = cursor.fetchone()[0]
    return value


def highest_serial(year: int) -> int:
    """The highest serial given in a year, by the counter row or by the cases themselves."""
    counted = CaseNumberCounter.objects.filter(year=year).values_list("last", flat=True).first() or 0
    prefix = format_number(year, 0)[: -len("000000")]
    numbers = Case.objects.filter(number__startswith=prefix).values_list("number", flat=True)
    # Longest first: WG-2026-1000000 comes after WG-2026-999999.
    last = numbers.order_by(Length("number").desc(), "-number").first()
    serial = int(last[len(prefix) :]) if last and last[len(prefix) :].isdigit() else 0
    return max(counted, serial)


def _create_sequence(cursor, year: int) -> None:
    start = highest_serial(year) + 1
    try:
        with transaction.atomic():  # a savepoint: another report may create it at the same moment
            cursor.execute(f"CREATE SEQUENCE IF NOT EXISTS {_sequence_name(year)} START WITH {int(start)}")
    except DatabaseError:
        pass  # created by the other report; nextval finds it
