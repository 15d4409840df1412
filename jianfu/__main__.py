"""The `jianfu` command: Django's manage.py under the project's own name."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jianfu.settings")
    from django.core.management import execute_from_command_line

    # Management commands are named with underscores; the documented spelling uses hyphens
    # (`jianfu import-regions`), so both are accepted.
    argv = list(sys.argv)
    argv[0] = "jianfu"
    if len(argv) > 1 and not argv[1].startswith("-"):
        argv[1] = argv[1].replace("-", "_")
    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
