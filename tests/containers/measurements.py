"""Numbers the tier reports (sizes, build and start times): printed, never asserted.

The goals (runtime image <= base + 80 MB for the default variant, start-to-ready
<= 2 s) are judged by people reading the summary, not by timed assertions.
"""

import json
from collections import defaultdict
from pathlib import Path

REPORT_FILE = Path(__file__).resolve().parents[2] / "bench" / "out" / "containers.json"
MB = 1_000_000

_recorded: dict[str, dict[str, object]] = defaultdict(dict)


def record(subject: str, name: str, value: object) -> None:
    _recorded[subject][name] = value


def add_to_list(subject: str, name: str, value: float) -> None:
    values = _recorded[subject].setdefault(name, [])
    values.append(round(value, 3))


def summary_lines() -> list[str]:
    lines = []
    for subject, values in sorted(_recorded.items()):
        lines.append(f"{subject}:")
        lines += [f"  {name}: {_format(name, value)}" for name, value in values.items()]
    return lines


def write_report() -> Path | None:
    if not _recorded:
        return None
    REPORT_FILE.parent.mkdir(parents=True, exist_ok=True)
    REPORT_FILE.write_text(json.dumps(_recorded, indent=2, sort_keys=True) + "\n")
    return REPORT_FILE


def _format(name: str, value: object) -> str:
    if name.endswith("_bytes") and isinstance(value, int | float):
        return f"{value / MB:.1f} MB"
    if name.endswith("_seconds") and isinstance(value, int | float):
        return f"{value:.2f} s"
    if name.endswith("_seconds") and isinstance(value, list):
        return ", ".join(f"{item:.2f}" for item in value) + " s"
    return str(value)
