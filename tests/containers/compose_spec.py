"""Read what the tests need from a generated compose.yaml, as compose would see it.

Values like `${LOG_LEVEL:-INFO}` resolve to their defaults: the tests run the
service with the configuration the file ships, not with this machine's environment.
"""

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

VARIABLE = re.compile(r"\$\{(?P<name>\w+)(?::?-(?P<default>[^}]*))?\}")
DURATION = re.compile(r"^(?:(?P<m>\d+)m)?(?:(?P<s>\d+(?:\.\d+)?)s)?$")
DEFAULT_STOP_GRACE_SECONDS = 10.0  # compose's and docker's default


def with_defaults(value: str) -> str:
    return VARIABLE.sub(lambda match: match.group("default") or "", value)


@dataclass(frozen=True)
class ComposeSpec:
    services: dict[str, dict]

    @classmethod
    def load(cls, path: Path) -> "ComposeSpec":
        return cls(yaml.safe_load(path.read_text())["services"])

    def service(self, name: str) -> dict:
        if name not in self.services:
            raise KeyError(f"compose.yaml has no `{name}` service (has {sorted(self.services)})")
        return self.services[name]

    def environment(self, name: str) -> dict[str, str]:
        environment = self.service(name).get("environment") or {}
        if isinstance(environment, list):
            environment = dict(item.split("=", 1) for item in environment)
        return {key: with_defaults(str(value)) for key, value in environment.items()}

    def stop_grace_seconds(self, name: str) -> float:
        value = str(self.service(name).get("stop_grace_period", ""))
        match = DURATION.match(value)
        if not value or not match:
            return DEFAULT_STOP_GRACE_SECONDS
        return 60 * float(match.group("m") or 0) + float(match.group("s") or 0)

    def images(self) -> dict[str, str]:
        """Service name -> image it pulls (services built from the Dockerfile excluded)."""
        return {
            name: with_defaults(service["image"])
            for name, service in self.services.items()
            if "image" in service and "build" not in service
        }

    def built_services(self) -> list[str]:
        return [name for name, service in self.services.items() if "build" in service]

    def published_host_ports(self) -> list[tuple[str, int]]:
        """(host address, port) of every published port, to see conflicts before `up`."""
        published = []
        for service in self.services.values():
            for entry in service.get("ports", []):
                parts = with_defaults(str(entry)).split("/")[0].split(":")
                if len(parts) == 3:
                    published.append((parts[0], int(parts[1])))
                elif len(parts) == 2:
                    published.append(("0.0.0.0", int(parts[0])))
        return published
