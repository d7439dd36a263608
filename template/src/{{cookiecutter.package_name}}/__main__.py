"""`python -m <package> <command>`: the single entry point of every process type."""

import sys

from {{ cookiecutter.package_name }}.cli import main

if __name__ == "__main__":
    sys.exit(main())
