"""Regenerate ``data/kz_calendar.yaml`` from the python-holidays package.

``python -m appeals_deadlines.tools.calendar_gen 2020 2027`` writes, per year, the days off
(public holidays, the next working day for a holiday that falls on a weekend, the
government's transferred days off) and the working Saturdays and Sundays those transfers
create. Review the diff before committing: the file, not this tool, is what the tracker
reads, and it can be corrected by hand when the government announces a transfer.
"""

from __future__ import annotations

import argparse
from datetime import date
from typing import Any
from pathlib import Path

import yaml

OUT = Path(__file__).parents[1] / "data" / "kz_calendar.yaml"


def year_entry(year: int) -> dict:
    import holidays
    from holidays.countries.kazakhstan import KazakhstanStaticHolidays

    kz = holidays.country_holidays("KZ", years=year, language="en_US")
    days_off = [{"date": d.isoformat(), "name": name, **({"estimated": True} if "estimated" in name else {})}
                for d, name in sorted(kz.items())]
    found: Any = KazakhstanStaticHolidays.special_public_holidays.get(year, ())  # one tuple, or a tuple of them
    transfers: tuple[tuple[Any, ...], ...] = (found,) if found and not isinstance(found[0], tuple) else found
    working = []
    for t in transfers:
        work_year = t[4] if len(t) > 4 else year
        working.append(date(work_year, t[2], t[3]).isoformat())
    return {"days_off": days_off, "working_days": sorted(working)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("first", type=int)
    parser.add_argument("last", type=int)
    args = parser.parse_args()
    data = {
        "version": 1,
        "timezone": "Asia/Almaty",
        "source": "Law 'On holidays in the Republic of Kazakhstan' and government transfer decrees, via python-holidays",
        "years": {year: year_entry(year) for year in range(args.first, args.last + 1)},
    }
    OUT.write_text("# Kazakhstan working-day calendar. Weekends are Saturday and Sunday unless listed in\n"
                   "# working_days. Regenerate with appeals_deadlines.tools.calendar_gen, or edit by hand.\n"
                   + yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
