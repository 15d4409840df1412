"""`jianfu gen-data --scale district|city|province [--seed N] [--today YYYY-MM-DD]`."""

from __future__ import annotations

import datetime as dt
import time

from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from jianfu.core.audit import audit_context
from jianfu.core.console import ProgressBar
from jianfu.gendata import generate
from jianfu.gendata.context import SCALES
from jianfu.org.demo import new_demo_password
from jianfu.org.models import Region, User
from jianfu.org.roles import Role

# A few logins of each role to print at the end.
LOGINS_PER_ROLE = 2


class Command(BaseCommand):
    help = (
        "Fill an empty, migrated database with a generated district, city or province "
        "(regions, units, accounts, lists, admissions, tasks, evaluations, money), the same "
        "rows for the same seed, and print the logins."
    )

    def add_arguments(self, parser):
        parser.add_argument("--scale", required=True, choices=sorted(SCALES), help="how much")
        parser.add_argument("--seed", type=int, default=1, help="the same seed, the same rows")
        parser.add_argument(
            "--today",
            help="the day the data is generated as of, YYYY-MM-DD (default: today)",
        )
        parser.add_argument(
            "--password", help="password of every generated account (default: generated)"
        )

    def handle(self, *args, scale: str, seed: int, today: str | None, password, **options):
        if today:
            try:
                day = dt.date.fromisoformat(today)
            except ValueError:
                raise CommandError(
                    _("日期 %(day)s 无效，请写成 YYYY-MM-DD。") % {"day": today}
                ) from None
        else:
            day = timezone.localdate()
        if Region.objects.exists():
            raise CommandError(
                _(
                    "数据库中已有区划数据，未生成任何数据。请在一个空的、已迁移的数据库上运行（jianfu migrate）。"
                )
            )
        password = password or new_demo_password()
        bars: dict[str, ProgressBar] = {}

        def progress(label: str, done: int, total: int) -> None:
            bar = bars.get(label)
            if bar is None:
                bar = bars[label] = ProgressBar(label)
            bar(done, total)

        def on_step(name: str, seconds: float) -> None:
            self.stderr.write(f"{name}: {seconds:.1f} s")

        started = time.perf_counter()
        with audit_context(ip="", channel="cli"):
            ctx = generate(
                scale=SCALES[scale],
                seed=seed,
                today=day,
                progress=progress,
                password_hash=make_password(password),
                on_step=on_step,
            )
        elapsed = time.perf_counter() - started
        width = max(len(table) for table in ctx.counts)
        lines = [
            _("生成完成：%(scale)s，种子 %(seed)d，截至 %(day)s，用时 %(seconds).1f 秒。")
            % {"scale": scale, "seed": seed, "day": day.isoformat(), "seconds": elapsed},
            "",
            *(f"  {table:<{width}}  {count:>12,}" for table, count in sorted(ctx.counts.items())),
            f"  {'':<{width}}  {sum(ctx.counts.values()):>12,}",
            "",
            _("所有账号的密码：%(password)s") % {"password": password},
        ]
        sample = {role: ids[:LOGINS_PER_ROLE] for role, ids in ctx.users.items()}
        names = dict(
            User.objects.filter(pk__in=[pk for ids in sample.values() for pk in ids]).values_list(
                "pk", "username"
            )
        )
        for role, ids in sample.items():
            lines.append(f"  {Role(role).label}: {', '.join(names[pk] for pk in ids)}")
        self.stdout.write("\n".join(lines) + "\n")
