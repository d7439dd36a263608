"""`python -m {{ cookiecutter.package_name }} <command>`: the single entry point of every process type."""

from {{ cookiecutter.package_name }}.cli import main

if __name__ == "__main__":
    main()
