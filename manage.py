#!/usr/bin/env python
"""Django's command-line utility. A bad setting ends with one line, not a traceback."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ikmrelief.settings")
    from django.core.management import execute_from_command_line

    from ikmrelief.env import EnvError

    try:
        execute_from_command_line(sys.argv)
    except EnvError as exc:
        sys.exit(f"ikmrelief: konfigurasi salah: {exc}")


if __name__ == "__main__":
    main()
