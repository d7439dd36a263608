"""MkDocs hook: pages link repository files as they are on GitHub; the site follows them.

A page in docs/ links `../CHANGELOG.md`, which works when reading the repository. The
site cannot serve files outside docs/, so the repository files it publishes become
pages of their own (CHANGELOG.md becomes changelog.md), and links to them are
rewritten. Links from those files into docs/ (`docs/updating.md`) are rewritten the
other way. Any other link that leaves docs/ is left alone, so `mkdocs build --strict`
reports it.
"""

import posixpath
import re
from pathlib import Path

from mkdocs.structure.files import File, Files

# Repository file -> the site page it is published as.
PUBLISHED = {"CHANGELOG.md": "changelog.md"}

LINK = re.compile(r"(\]\()([^)\s#]+\.md)(#[^)\s]*)?(\))")


def on_files(files: Files, config) -> Files:
    root = Path(config["config_file_path"]).parent
    for source, page in PUBLISHED.items():
        content = (root / source).read_text(encoding="utf-8")
        files.append(File.generated(config, page, content=_rewrite(content, source, page)))
    return files


def on_page_markdown(markdown: str, page, config, files) -> str:
    if page.file.src_uri in PUBLISHED.values():
        return markdown  # rewritten when it was generated
    return _rewrite(markdown, f"docs/{page.file.src_uri}", page.file.src_uri)


def _rewrite(markdown: str, repository_path: str, site_path: str) -> str:
    """Re-point links written relative to `repository_path` for a page at `site_path`."""

    def replace(match: re.Match) -> str:
        target = posixpath.normpath(posixpath.join(posixpath.dirname(repository_path), match[2]))
        if target in PUBLISHED:
            site_target = PUBLISHED[target]
        elif target.startswith("docs/"):
            site_target = target.removeprefix("docs/")
        else:
            return match[0]
        relative = posixpath.relpath(site_target, posixpath.dirname(site_path) or ".")
        return f"{match[1]}{relative}{match[3] or ''}{match[4]}"

    return LINK.sub(replace, markdown)
