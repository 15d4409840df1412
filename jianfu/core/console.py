"""Helpers for the command line: a progress bar on stderr."""

import sys


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
