import datetime as dt
import re

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS
from django.utils import timezone
from django.utils.translation import gettext as _

from jianfu.core.partitioning import (
    PartitioningError,
    partition_plan,
    partitions_convert,
    partitions_ensure,
    partitions_list,
)


def _year_range(text: str) -> tuple[int, int]:
    match = re.fullmatch(r"\s*(\d{4})\s*(?:-\s*(\d{4}))?\s*", text)
    if match is None:
        raise CommandError(_("年份范围应写作 2020-2030 或 2026。"))
    first = int(match.group(1))
    last = int(match.group(2) or first)
    if not 1900 < first <= last < 3000:
        raise CommandError(_("年份范围无效：起始年份不能晚于结束年份。"))
    return first, last


class Command(BaseCommand):
    help = (
        "PostgreSQL only: partition the deliveries, ballots, ledger postings and audit records "
        "by year, in one transaction. Running it again changes nothing; --ensure only adds the "
        "coming years' partitions (the daily job does the same)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="print the SQL, run nothing")
        parser.add_argument(
            "--years",
            type=_year_range,
            help="years to have partitions for, e.g. 2015-2030 (besides the data's own years)",
        )
        parser.add_argument(
            "--ahead", type=int, default=1, help="years after this one to prepare (default 1)"
        )
        parser.add_argument(
            "--ensure", action="store_true", help="only add missing partitions up to --ahead"
        )
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS)

    def handle(self, *args, dry_run, years, ahead, ensure, database, **options):
        if not 0 <= ahead <= 10:
            raise CommandError(_("--ahead 应在 0 到 10 之间。"))
        try:
            if ensure:
                created = partitions_ensure(timezone.localdate(), ahead=ahead, using=database)
                self._created(created)
                return
            if dry_run:
                plan = partition_plan(using=database, years=years, ahead=ahead)
                for table, statements in plan.statements.items():
                    self.stdout.write(f"-- {table}: {len(plan.years[table])} partitions")
                    for statement in statements:
                        self.stdout.write(statement.strip() + ";")
                self._already(plan.already)
                return
            plan = partitions_convert(using=database, years=years, ahead=ahead)
        except PartitioningError as error:
            raise CommandError(str(error)) from None
        for table, span in plan.years.items():
            self.stdout.write(
                _("%(table)s 已按年分区：%(first)s—%(last)s 年，共 %(count)s 个分区。")
                % {"table": table, "first": span[0], "last": span[-1], "count": len(span)}
            )
        self._already(plan.already)
        if years is not None and plan.already:
            created = []
            for year in range(years[0], years[1] + 1):
                created += partitions_ensure(dt.date(year, 1, 1), ahead=0, using=database)
            self._created(created)
        if not plan.statements:
            self.stdout.write(_("所有大表均已分区，未作任何修改。"))
        for table, names in partitions_list(using=database).items():
            self.stdout.write(f"  {table}: {', '.join(names)}")

    def _already(self, tables: list[str]) -> None:
        for table in tables:
            self.stdout.write(_("%(table)s 已是分区表，跳过。") % {"table": table})

    def _created(self, created: list[str]) -> None:
        if created:
            self.stdout.write(_("已创建分区：%(names)s") % {"names": ", ".join(created)})
        else:
            self.stdout.write(_("所需分区均已存在，未作任何修改。"))
