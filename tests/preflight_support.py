"""Running workshop/preflight.py as a participant does, and reading what it prints."""

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from tests.generate import TEMPLATE_ROOT

PREFLIGHT = TEMPLATE_ROOT / "workshop" / "preflight.py"
HANGUL = re.compile(r"[\uac00-\ud7a3]")


@dataclass
class Report:
    returncode: int
    stdout: str

    @property
    def ok(self) -> list[str]:
        return [line[5:] for line in self.stdout.splitlines() if line.startswith("ok   ")]

    @property
    def problems(self) -> list[tuple[str, str]]:
        """(English line, Korean line) for every problem."""
        lines = self.stdout.splitlines()
        pairs = []
        for index, line in enumerate(lines):
            if line.startswith("FIX  "):
                korean = lines[index + 1]
                assert korean.startswith("수정 "), f"no Korean line after {line!r}"
                pairs.append((line[5:], korean[3:]))
        return pairs

    def problem(self, *words: str) -> tuple[str, str]:
        """The one problem whose English line holds every word; it says how to fix it in both
        languages."""
        found = [pair for pair in self.problems if all(word in pair[0] for word in words)]
        assert len(found) == 1, f"{words}: {self.stdout}"
        _english, korean = found[0]
        assert HANGUL.search(korean), korean
        return found[0]


def preflight(*args: str, env: dict[str, str] | None = None, path: str | None = None) -> Report:
    environment = os.environ | (env or {})
    if path is not None:
        environment["PATH"] = path
    result = subprocess.run(
        [sys.executable, str(PREFLIGHT), *args],
        capture_output=True,
        text=True,
        check=False,
        env=environment,
        timeout=300,
    )
    assert not result.stderr, result.stderr
    return Report(result.returncode, result.stdout)


def path_without(folder: Path, *missing: str, keep: tuple[str, ...] = ()) -> str:
    """A PATH of one folder holding links to the tools in `keep`, and nothing of `missing`."""
    folder.mkdir(parents=True, exist_ok=True)
    for tool in keep:
        if tool in missing:
            continue
        found = shutil.which(tool)
        assert found, f"{tool} is not installed here"
        (folder / tool).symlink_to(found)
    return str(folder)
