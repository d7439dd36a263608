"""Let cookiecutter find the template folder (cookiecutter only; copier never runs it).

Both engines render the same `template/` tree. copier reads it through
`_subdirectory`; cookiecutter wants a folder named after an answer, so this hook
renames it inside cookiecutter's throw-away copy of the repository.
"""

from pathlib import Path

# A blank slug would render the project folder onto the output folder itself, before
# pre_gen_project could explain what is wrong; the fallback name lets it explain.
Path("template").rename("{{ cookiecutter.project_slug or 'invalid-project-slug' }}")
