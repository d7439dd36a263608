"""{{ cookiecutter.description | replace('\\', '\\\\') | replace('"', '\\x22') }}"""
