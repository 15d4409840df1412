"""Helpers for the command line: a progress bar on stderr and the bad-row report of imports."""

import sys
from typing import TextIO

from django.core.management.base import CommandError
from django.utils.translation import gettext as _


class ProgressBar:
    def __init__(self, label: str, width: int = 30) -> None:
        self.label, self.width = label, width
        self.interactive = sys.stderr.isatty()

    def __call__(self, done: int, total: int) -> None:
        if not total:
            return
        filled = int(self.width * done / total)
        line = f"{self.label} [{'#' * filled}{'-' * (self.width - filled)}] {done}/{total}"
        if self.interactive:
            sys.stderr.write("\r" + line)
            if done >= total:
                sys.stderr.write("\n")
        elif done >= total:
            sys.stderr.write(line + "\n")
        sys.stderr.flush()


def fail_with_row_errors(errors: list[dict], stderr: TextIO) -> None:
    """Print every bad row of an all-or-nothing import and stop with a non-zero exit."""
    for error in errors:
        stderr.write(
            _("第 %(row)s 行：%(problems)s")
            % {"row": error["row"], "problems": " ".join(error["problems"])}
        )
    raise CommandError(_("%(n)d 行有问题，未导入任何数据。") % {"n": len(errors)})
