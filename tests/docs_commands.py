"""Commands in the docs, and the proof that each one works on the generated service.

The workshop guides (both languages) and the factor map show commands to run in a
generated service. Each command must match exactly one rule below. A rule's check
proves that the command works by one of three means:

- a test of this repository or of the generated service runs the same command (the
  check finds that call in the test's source, so moving it fails here);
- the command uses only things that exist in the generated service (a registered
  `python -m <package>` command, a setting, an endpoint and its request body, a
  compose service, a file), which the check reads from the rendered service;
- for the one command the guides show failing on purpose, the check proves that it
  still fails for the reason they give.

Guides are read in order, so a check can also demand what must come first (an `.env`
before `--env-file .env`, a container started before it is stopped).
"""

import functools
import importlib.util
import json
import re
import shlex
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from tests.generate import TEMPLATE_ROOT

# Fenced code blocks whose language says "shell" must be `sh`, so no command escapes the
# checks; output goes in `text`, `json` or `python` blocks.
COMMAND_LANGUAGE = "sh"
SHELL_LANGUAGES = {"bash", "shell", "console", "zsh", "shell-session", ""}
# Inline code that starts with one of these is a command too.
COMMAND_WORDS = ("uv ", "uvx ", "docker", "curl ", "kubectl ", "python ", "git ", "cat ", "ls ")
FENCE = re.compile(r"^(?P<indent>\s*)(?P<fence>`{3,})(?P<lang>[\w-]*)\s*$")
ENV_ASSIGNMENT = re.compile(r"^([A-Z][A-Z0-9_]*)=(\S*)$")
URL = re.compile(
    r"\w+://(?:(?P<user>[^:@/]*)(?::(?P<pw>[^@/]*))?@)?[\w.]+:(?P<port>\d+)/?(?P<db>\w*)"
)


# --- reading commands out of Markdown ------------------------------------------------


@dataclass
class Block:
    language: str
    lines: list[str]


def fenced_blocks(markdown: str) -> list[Block]:
    blocks, current, fence, indent = [], None, "", 0
    for line in markdown.splitlines():
        opening = FENCE.match(line)
        if current is None and opening:
            current, fence = Block(opening["lang"], []), opening["fence"]
            indent = len(opening["indent"])
        elif current is not None and line.strip() == fence:
            blocks.append(current)
            current = None
        elif current is not None:
            current.lines.append(line[indent:])
    assert current is None, "a fenced block is never closed"
    return blocks


def block_commands(block: Block) -> list[str]:
    """One command per line; `\\` continues a line; `#` lines are comments."""
    commands, pending = [], ""
    for line in block.lines:
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        pending += line.strip()
        if pending.endswith("\\"):
            pending = pending[:-1].rstrip() + " "
            continue
        commands.append(pending)
        pending = ""
    return commands


def prose(markdown: str) -> str:
    """The Markdown without its fenced blocks."""
    kept, inside, fence = [], False, ""
    for line in markdown.splitlines():
        opening = FENCE.match(line)
        if not inside and opening:
            inside, fence = True, opening["fence"]
        elif inside and line.strip() == fence:
            inside = False
        elif not inside:
            kept.append(line)
    return "\n".join(kept)


def inline_commands(markdown: str) -> list[str]:
    spans = re.findall(r"(?<!`)`([^`\n]+)`(?!`)", prose(markdown))
    return [span for span in spans if span.startswith(COMMAND_WORDS)]


def page_commands(markdown: str) -> list[str]:
    """Every command on a page, in order: `sh` blocks first, then inline ones."""
    blocks = fenced_blocks(markdown)
    unmarked = [block.language for block in blocks if block.language in SHELL_LANGUAGES]
    assert unmarked == [], f"shell-like blocks must be `{COMMAND_LANGUAGE}` blocks: {unmarked}"
    commands = [
        command
        for block in blocks
        if block.language == COMMAND_LANGUAGE
        for command in block_commands(block)
    ]
    return commands + inline_commands(markdown)


def normalise(command: str) -> str:
    """docker-compose 1.29 takes the same arguments as `docker compose`."""
    return re.sub(r"\bdocker-compose\b", "docker compose", " ".join(command.split()))


# --- what the generated service has --------------------------------------------------


def _test_names(path: Path) -> set[str]:
    """`name` and `Class::name` of every test function in a test module.

    Read line by line, not with `ast`: the generated tests may use syntax newer than
    the Python this repository's tests run on.
    """
    names, current_class = set(), None
    for line in path.read_text().splitlines():
        if found := re.match(r"class (\w+)", line):
            current_class = found[1]
        elif found := re.match(r"(?:async )?def (test_\w+)", line):
            names.add(found[1])
            current_class = None
        elif (found := re.match(r"    (?:async )?def (test_\w+)", line)) and current_class:
            names.add(f"{current_class}::{found[1]}")
        elif re.match(r"\S", line):
            current_class = None
    return names


@dataclass
class Service:
    """Facts read from a rendered service, for the checks."""

    root: Path
    package: str
    slug: str
    files: set[str]  # relative paths of files and folders (folders end with /)
    commands: set[str]  # python -m <package> <command>
    settings: dict[str, str]  # .env.example: name -> value
    openapi: dict
    compose: dict

    @classmethod
    def read(cls, root: Path) -> "Service":
        answers = yaml.safe_load((root / ".copier-answers.yml").read_text())
        package = answers["package_name"]
        files = set()
        for path in root.rglob("*"):
            relative = path.relative_to(root).as_posix()
            if relative == ".git" or relative.startswith(".git/"):
                continue
            files.add(relative + "/" if path.is_dir() else relative)
        cli = (root / "src" / package / "cli.py").read_text()
        registry = cli.split("COMMANDS: dict[str, Command] = {", 1)[1].split("\n}", 1)[0]
        commands = set(re.findall(r'^\s+"(\w+)": Command\(', registry, re.MULTILINE))
        # Each component (src/<package>/components/*.py) may add some: COMMANDS = {"name": f}.
        for module in sorted((root / "src" / package / "components").glob("*.py")):
            for block in re.findall(r"^COMMANDS = \{([^}]*)\}", module.read_text(), re.M):
                commands |= set(re.findall(r'"(\w+)":', block))
        env_example = (root / ".env.example").read_text()
        return cls(
            root=root,
            package=package,
            slug=answers["project_slug"],
            files=files,
            commands=commands,
            settings=dict(re.findall(r"^#? ?([A-Z][A-Z0-9_]*)=(.*)$", env_example, re.MULTILINE)),
            openapi=json.loads((root / "openapi.json").read_text()),
            compose=yaml.safe_load((root / "compose.yaml").read_text()),
        )

    def has(self, path: str) -> bool:
        """A file or folder of the service; uv.lock is written by the hook's `uv lock`."""
        path = path.rstrip("/")
        if path == "uv.lock":
            return '[uv, "lock"' in (TEMPLATE_ROOT / "hooks" / "post_gen_project.py").read_text()
        return path in self.files or f"{path}/" in self.files

    def tests(self, path: str) -> set[str]:
        assert self.has(path), f"the service has no {path}"
        return _test_names(self.root / path)

    def read_text(self, path: str) -> str:
        return (self.root / path).read_text()

    def compose_service(self, name: str) -> dict:
        services = self.compose["services"]
        assert name in services, f"compose.yaml has no service {name!r}: {sorted(services)}"
        return services[name]

    def compose_default(self, value: str) -> str:
        """What compose makes of `${NAME:-default}` when NAME is not set: the default."""
        return re.sub(r"\$\{\w+:-([^}]*)\}", r"\1", value)

    def published_host_ports(self, name: str) -> list[tuple[str, int]]:
        """Fixed host ports a compose service publishes: (address, port)."""
        fixed = []
        for mapping in self.compose_service(name).get("ports", []):
            parts = self.compose_default(str(mapping)).split(":")
            if len(parts) == 3 and parts[1]:
                fixed.append((parts[0], int(parts[1])))
            elif len(parts) == 2:
                fixed.append(("0.0.0.0", int(parts[0])))
        return fixed


def template_test_runs(path: str, needle: str) -> None:
    """A test module of this repository contains the call that runs the command."""
    source = (TEMPLATE_ROOT / path).read_text()
    assert needle in source, f"{path} no longer runs {needle}: the docs' command lost its test"


def template_test_exists(path: str) -> set[str]:
    return _test_names(TEMPLATE_ROOT / path)


@functools.cache
def load_preflight():
    """workshop/preflight.py as a module: the images it checks are the ones the guide pulls."""
    spec = importlib.util.spec_from_file_location(
        "workshop_preflight", TEMPLATE_ROOT / "workshop" / "preflight.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def image_reference(variable: str, default: str) -> str:
    """How the guide and compose.yaml name an image a mirror can replace."""
    return f"${{{variable}:-{default}}}"


# --- the rules ---------------------------------------------------------------------------


# The folder the guides generate services from: a clone of this repository.
TEMPLATE_CLONE = "twelve-factor-service-template"


@dataclass
class Generated:
    """The services the docs test made for a guide, by folder, and the command for each."""

    services: dict[str, Service]
    commands: dict[str, str]


@dataclass
class Context:
    """Where the reader is, and what earlier commands of a guide set up."""

    generated: Generated
    folder: str = TEMPLATE_CLONE  # the template clone, or a generated service's folder
    env_files: set[str] = field(default_factory=set)  # folders where `.env` was made
    containers: set[str] = field(default_factory=set)  # `docker run --name`
    ports: set[int] = field(default_factory=set)  # where something answers HTTP
    collector_ports: set[int] = field(default_factory=set)  # where traces can go
    pulled: set[str] = field(default_factory=set)  # images `docker pull` fetched
    shell_variables: set[str] = field(default_factory=set)  # set by `NAME=$(...)`
    rules: list["Rule"] = field(default_factory=list)  # for commands inside a loop

    def __post_init__(self) -> None:
        for service in self.generated.services.values():
            self.ports.add(int(service.settings["PORT"]))
            self.ports |= {port for _, port in service.published_host_ports("web")}

    @property
    def service(self) -> Service:
        assert self.folder in self.generated.services, f"no generated service in {self.folder}"
        return self.generated.services[self.folder]


Check = Callable[[Context, re.Match], None]


@dataclass
class Rule:
    pattern: str
    check: Check
    used: int = 0

    def match(self, command: str) -> re.Match | None:
        return re.fullmatch(self.pattern, command)


def split_env(command: str) -> tuple[dict[str, str], str]:
    """`A=1 B=2 rest` -> ({A: 1, B: 2}, rest)."""
    words = command.split(" ")
    env = {}
    while words and (assignment := ENV_ASSIGNMENT.match(words[0])):
        env[assignment[1]] = assignment[2]
        words.pop(0)
    return env, " ".join(words)


def check_settings(context: Context, env: dict[str, str]) -> None:
    unknown = set(env) - set(context.service.settings)
    assert not unknown, f"{sorted(unknown)}: not settings of the service (.env.example)"


def copier_choices() -> dict[str, list[str]]:
    spec = yaml.safe_load((TEMPLATE_ROOT / "copier.yml").read_text())
    return {name: value["choices"] for name, value in spec.items() if "choices" in value}


def generate(context: Context, match: re.Match) -> None:
    """The docs test makes each service the guides generate, from this very command."""
    assert context.folder == TEMPLATE_CLONE, "services are generated in the template clone"
    assert context.generated.commands.get(match["folder"]) == match[0]
    choices = copier_choices()
    for question, answer in re.findall(r" -d (\w+)=(\S+)", match["data"]):
        assert answer in choices.get(question, []), f"{question}={answer}: not a choice"
    if match["data"]:
        return
    readme = (TEMPLATE_ROOT / "README.md").read_text()
    readme_command = readme.split("<!-- generate-command -->", 1)[1].split("```sh\n", 1)[1]
    readme_command = readme_command.split("\n", 1)[0]
    assert match[0] == readme_command.replace(" --trust ", " --trust --defaults "), (
        "the workshop generates differently from the README's command"
    )


def change_directory(context: Context, match: re.Match) -> None:
    folder = match["folder"]
    if folder == TEMPLATE_CLONE:
        pyproject = (TEMPLATE_ROOT / "pyproject.toml").read_text()
        assert f'name = "{TEMPLATE_CLONE}"' in pyproject
    else:
        assert folder in context.generated.services, f"{folder} was not generated"
    context.folder = folder


def backing_container(context: Context, match: re.Match) -> None:
    """A backing service for local work: the image compose uses, where .env.example looks."""
    service, kind = context.service, match["kind"]
    assert match["name"] == f"{service.slug}-{kind}"
    image = service.compose_service(kind)["image"]
    assert match["image"] == image, f"compose.yaml runs {image}: same image, same override"
    url_setting = {
        "postgres": "DATABASE_URL",
        "redis": "REDIS_URL",
        "rabbitmq": "CELERY_BROKER_URL",
    }[kind]
    url = URL.match(service.settings[url_setting])
    assert url, f"{url_setting} in .env.example is not a URL with a port"
    assert match["host"] == match["port"] == url["port"], f"{url_setting} names port {url['port']}"
    env = dict(re.findall(r"-e (\w+)=(\S+)", match["env"]))
    if kind == "postgres":
        # The image's superuser is `postgres`; trust lets the password-less URL in.
        assert (url["user"], url["pw"], url["db"]) == ("postgres", None, env["POSTGRES_DB"])
        assert env["POSTGRES_HOST_AUTH_METHOD"] == "trust"
    if kind == "rabbitmq":
        assert (url["user"], url["pw"]) == ("guest", "guest"), "the image's default user"
    context.containers.add(match["name"])


def service_docs(service: Service) -> str:
    """The text of the service's own documentation: README.md and docs/*.md."""
    pages = [path for path in sorted(service.files) if re.fullmatch(r"(?:docs/)?[\w.-]+\.md", path)]
    return "\n".join(service.read_text(path) for path in pages)


def collector(context: Context, match: re.Match) -> None:
    """An OTLP collector with a UI: the one the service's docs suggest, on OTLP/HTTP, pinned
    to the tag the preflight checks."""
    service = context.service
    assert match["name"] == f"{service.slug}-jaeger"
    assert match["image"] == image_reference(*load_preflight().JAEGER), "preflight's JAEGER"
    repository = load_preflight().JAEGER[1].split(":")[0]
    docs = service_docs(service)
    assert repository in docs, f"the service's docs do not suggest {repository}"
    assert "4318" in docs
    assert "test_one_request_is_one_trace_and_its_log_lines_carry_its_ids" in service.tests(
        "tests/test_telemetry.py"
    )
    context.containers.add(match["name"])
    context.collector_ports.add(int(match["otlp"]))


def pull(context: Context, match: re.Match) -> None:
    """The images the preflight checks, each under the variable compose.yaml reads."""
    preflight = load_preflight()
    known = {
        image_reference(variable, default)
        for variable, default in preflight.guide_images(preflight.default_python())
    }
    assert match["image"] in known, f"the preflight checks {sorted(known)}"
    if match["image"] != image_reference(*preflight.JAEGER):
        compose = context.service if context.folder in context.generated.services else None
        if compose is not None:
            assert match["image"] in compose.read_text("compose.yaml")
    context.pulled.add(match["image"])


def preflight_script(context: Context, match: re.Match) -> None:
    assert context.folder == TEMPLATE_CLONE, "the preflight runs in the template clone"
    assert (TEMPLATE_ROOT / match["path"]).is_file(), match["path"]
    template_test_runs("tests/preflight_support.py", "PREFLIGHT")


def createdb(context: Context, match: re.Match) -> None:
    """The database .env's DATABASE_URL names, on its host, as its user."""
    url = URL.match(context.service.settings["DATABASE_URL"])
    assert url, "DATABASE_URL in .env.example is not a URL with a port"
    assert (match["user"], match["db"]) == (url["user"], url["db"]), url[0]
    assert match["host"] in context.service.settings["DATABASE_URL"]


def shell_loop(context: Context, match: re.Match) -> None:
    """`for x in a b; do cmd $x; done`: each command, for each value, is a command of its own."""
    for value in match["values"].split():
        for command in match["body"].split("; "):
            inner = command.replace(f"${match['name']}", value)
            check_command(context, context.rules, inner)


def keep_job_id(context: Context, match: re.Match) -> None:
    """`JOB=$(curl ... | uv run python -c '...["id"]')`: the enqueue answer carries the id."""
    check_curl(context, shlex.split(match["curl"]))
    operation = _operation(context.service, "POST", "/v1/jobs")
    (answer,) = [code for code in operation["responses"] if code.startswith("2")]
    schema = operation["responses"][answer]["content"]["application/json"]["schema"]
    name = schema["$ref"].rsplit("/", 1)[1]
    assert match["field"] in context.service.openapi["components"]["schemas"][name]["properties"]
    context.shell_variables.add(match["variable"])


def known_container(context: Context, match: re.Match) -> None:
    names = match["names"].split()
    assert set(names) <= context.containers, f"{names}: not started earlier by `docker run`"


def uv_sync(context: Context, match: re.Match) -> None:
    template_test_runs("tests/test_generated_suite.py", '["uv", "sync", "--locked"')


def run_tests(context: Context, match: re.Match) -> None:
    template_test_runs("tests/test_generated_suite.py", '["uv", "run", "--frozen", "pytest"')
    if match["path"]:
        assert context.service.has(match["path"]), match["path"]


def make_env_file(context: Context, match: re.Match) -> None:
    assert context.service.has(".env.example")
    assert ".env" in context.service.read_text(".gitignore").splitlines(), ".env is not ignored"
    context.env_files.add(context.folder)


def git_log(context: Context, match: re.Match) -> None:
    # The post-generation hook's first commit, which the render tier checks.
    template_test_runs("tests/test_render.py", '["git", "log"')


def git_on_files(context: Context, match: re.Match) -> None:
    for path in match["paths"].split():
        assert context.service.has(path), path


def existing_path(context: Context, match: re.Match) -> None:
    assert context.service.has(match["path"]), match["path"]


def builtin(context: Context, match: re.Match) -> None:
    """Shell built-ins need no proof."""


def package_command(context: Context, match: re.Match) -> None:
    """`[ENV=...] [uv run [--env-file .env]] python -m <package> <command> [args]`."""
    service = context.service
    env, rest = split_env(match[0])
    parsed = re.fullmatch(
        r"(?:uv run (?P<env_file>--env-file \.env )?)?python -m (?P<package>\w+) (?P<name>\w+)"
        r"(?P<args>(?: \S+)*)",
        rest,
    )
    assert parsed, rest
    assert parsed["package"] == service.package
    assert parsed["name"] in service.commands, f"{parsed['name']}: not in cli.COMMANDS"
    check_settings(context, env)
    if parsed["env_file"]:
        assert context.folder in context.env_files, "`--env-file .env` before `.env` was made"
    if "OTEL_EXPORTER_OTLP_ENDPOINT" in env:
        port = int(env["OTEL_EXPORTER_OTLP_ENDPOINT"].rsplit(":", 1)[1].strip("/"))
        assert port in context.collector_ports, f"no collector listens on {port}"
    for option in re.findall(r" (--[\w-]+)", parsed["args"]):
        cli = service.read_text(f"src/{service.package}/cli.py")
        assert f'"{option}"' in cli, f"{parsed['name']} takes no {option}"
    if parsed["name"] == "web" and env.get("PORT", "").isdigit():
        context.ports.add(int(env["PORT"]))


# Paths outside the API contract, and the test of the service that proves each one.
NOT_IN_THE_CONTRACT = {
    "/metrics": ("tests/test_metrics.py", "test_metrics_stay_out_of_the_api_contract"),
}


def _operation(service: Service, method: str, path: str) -> dict:
    for template, operations in service.openapi["paths"].items():
        pattern = re.sub(r"\\\{\w+\\\}", r"[^/]+", re.escape(template))
        if re.fullmatch(pattern, path) and method.lower() in operations:
            return operations[method.lower()]
    raise AssertionError(f"{method} {path}: not in openapi.json")


def _request_schema(service: Service, operation: dict) -> dict:
    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    name = schema["$ref"].rsplit("/", 1)[1]
    return service.openapi["components"]["schemas"][name]


def check_curl(context: Context, words: list[str], body: str | None = None) -> None:
    method, data, headers, url = "GET", body, [], None
    flags = iter(words[1:])
    for word in flags:
        if word == "-X":
            method = next(flags)
        elif word == "-H":
            headers.append(next(flags))
        elif word == "-d":
            data = next(flags)
        elif word == "-T":
            assert next(flags) == "-", "-T - uploads what the pipe gives"
            assert body is not None, "-T - needs a pipe to upload"
        elif word in ("-s", "-i"):
            continue
        elif word in ("-w", "-o"):
            next(flags)  # what to print, where to write the body
        else:
            assert url is None, f"unexpected curl argument {word!r}"
            url = word
    assert url, "curl without a URL"
    parsed = re.fullmatch(r"(?:http://)?(?:localhost|127\.0\.0\.1):(\d+)(/\S*)", url)
    assert parsed, url
    port, path = int(parsed[1]), parsed[2]
    assert port in context.ports, f"nothing listens on {port} at this point"
    if data is not None and method == "GET":
        method = "POST"
    if path in NOT_IN_THE_CONTRACT:
        test_file, test = NOT_IN_THE_CONTRACT[path]
        assert test in context.service.tests(test_file), f"{path}: {test_file} lost {test}"
        assert data is None
        return
    operation = _operation(context.service, method, path)
    if data is not None:
        assert "Content-Type: application/json" in headers
        sent = json.loads(data)
        schema = _request_schema(context.service, operation)
        assert set(sent) <= set(schema["properties"]), f"{sorted(sent)} vs {schema}"
        assert set(schema.get("required", [])) <= set(sent), schema.get("required")


def curl(context: Context, match: re.Match) -> None:
    check_curl(context, shlex.split(match[0]))


def slow_request(context: Context, match: re.Match) -> None:
    """A request whose body arrives late: in flight when SIGTERM comes, as in the service's
    own drain test, and shorter than the drain timeout so it still finishes."""
    assert int(match["sleep"]) < int(context.service.settings["SHUTDOWN_TIMEOUT_SECONDS"])
    assert "Expect: 100-continue" in context.service.read_text("tests/conftest.py")
    check_curl(context, shlex.split(match["curl"]), body=match["body"])


def compose_bare(context: Context, match: re.Match) -> None:
    template_test_runs("tests/containers/compose_stack.py", "self.engine.compose(")


def compose_build(context: Context, match: re.Match) -> None:
    template_test_runs("tests/containers/test_stack.py", 'stack.compose("build")')


def compose_up(context: Context, match: re.Match) -> None:
    template_test_runs("tests/containers/compose_stack.py", '"up", "--detach"')


def compose_down(context: Context, match: re.Match) -> None:
    template_test_runs("tests/containers/compose_stack.py", '"down", "--volumes"')


def compose_one_off(context: Context, match: re.Match) -> None:
    service = context.service.compose_service(match["service"])
    assert service.get("restart") == "no", f"{match['service']} is not a one-off process"
    assert service["command"] == [match["service"]]
    assert match["service"] in context.service.commands


def compose_read(context: Context, match: re.Match) -> None:
    if match["service"]:
        context.service.compose_service(match["service"])


def compose_scale(context: Context, match: re.Match) -> None:
    for name, count in re.findall(r"--scale (\w+)=(\d+)", match[0]):
        fixed = context.service.published_host_ports(name)
        assert not (int(count) > 1 and fixed), f"{name} publishes {fixed}: it cannot scale"
        assert "container_name" not in context.service.compose_service(name)


# The guides show this command failing, and explain why: compose.yaml publishes web on a
# fixed host port. When that changes, the workshop's step VIII must change with it.
FAILS_ON_PURPOSE = "docker compose up -d --scale web=3"


def compose_scale_web_fails(context: Context, match: re.Match) -> None:
    fixed = context.service.published_host_ports("web")
    assert fixed == [("127.0.0.1", 8000)], (
        f"compose.yaml's web now publishes {fixed}: `{FAILS_ON_PURPOSE}` may work; rewrite "
        "the workshop's step VIII (both languages), which says it fails"
    )


def compose_stop(context: Context, match: re.Match) -> None:
    if match["service"] == "web":
        grace = context.service.compose_service("web")["stop_grace_period"]
        drain = int(context.service.settings["SHUTDOWN_TIMEOUT_SECONDS"])
        assert int(grace.rstrip("s")) > drain, f"stop_grace_period {grace} <= drain {drain} s"
    elif match["service"]:
        context.service.compose_service(match["service"])


def compose_kill(context: Context, match: re.Match) -> None:
    """SIGKILL to the workers: the job runs again because it is acknowledged late."""
    if match["service"]:
        context.service.compose_service(match["service"])
    package = context.service.root / "src" / context.service.package
    code = "\n".join(path.read_text() for path in sorted(package.rglob("*.py")))
    assert "task_acks_late=True" in code
    assert "task_reject_on_worker_lost=True" in code
    tests = context.service.tests("tests/test_worker.py")
    assert "test_a_job_whose_worker_is_killed_is_delivered_again_and_completed" in tests


def compose_changed_setting(context: Context, match: re.Match) -> None:
    """A variable from the shell reaches the container through compose's interpolation."""
    env, _ = split_env(match[0])
    check_settings(context, env)
    web_env = context.service.compose_service("web")["environment"]
    for name in env:
        assert str(web_env.get(name, "")).startswith(f"${{{name}"), f"compose ignores {name}"


def image_labels(context: Context, match: re.Match) -> None:
    assert context.service.compose["x-app"]["image"] == match["image"]
    dockerfile = context.service.read_text("Dockerfile")
    for label in ("org.opencontainers.image.version", "org.opencontainers.image.revision"):
        assert label in dockerfile, label


def kustomize(context: Context, match: re.Match) -> None:
    assert context.service.has(match["overlay"]), match["overlay"]
    template_test_runs("tests/deploy_artifacts.py", "def kustomize_build(")


def rules() -> list[Rule]:
    """Fresh rules (each counts its uses)."""
    return [
        Rule(
            r"uvx copier copy --trust --defaults(?P<data>(?: -d \w+=\S+)*) --vcs-ref HEAD \. "
            r"\.\./(?P<folder>[\w-]+)",
            generate,
        ),
        Rule(r"cd \.\./(?P<folder>[\w-]+)", change_directory),
        Rule(
            r"docker run -d --name (?P<name>[\w-]+?-(?P<kind>postgres|redis|rabbitmq)) "
            r"-p 127\.0\.0\.1:(?P<host>\d+):(?P<port>\d+)(?P<env>(?: -e \w+=\S+)*) (?P<image>\S+)",
            backing_container,
        ),
        Rule(
            r"docker run -d --name (?P<name>[\w-]+-jaeger) -p 127\.0\.0\.1:(?P<otlp>4318):4318 "
            r"-p 127\.0\.0\.1:16686:16686 (?P<image>\S+)",
            collector,
        ),
        Rule(r"docker (?:stop|start|rm -f) (?P<names>[\w -]+)", known_container),
        Rule(r"uv sync(?: --locked)?", uv_sync),
        Rule(r"uv run pytest(?: (?P<path>tests/\S+))?", run_tests),
        Rule(r"cp \.env\.example \.env", make_env_file),
        Rule(r"git log --oneline", git_log),
        Rule(r"git (?:restore|diff) (?P<paths>[\w./ -]+)", git_on_files),
        Rule(r"(?:cat|ls) (?P<path>[\w./-]+)", existing_path),
        Rule(r"echo(?: \$\?| \$[A-Z]+)?", builtin),
        Rule(r"uv run (?P<path>workshop/preflight\.py)", preflight_script),
        Rule(r"docker pull (?P<image>\$\{\w+:-[^}]+\})", pull),
        Rule(
            r"createdb -h (?P<host>[\d.]+) -U (?P<user>\w+) (?P<db>\w+)",
            createdb,
        ),
        Rule(
            r"for (?P<name>[a-z]+) in (?P<values>[\w ]+); do (?P<body>.+); done",
            shell_loop,
        ),
        Rule(
            r"(?P<variable>[A-Z]+)=\$\((?P<curl>curl [^|]+) \| uv run python -c "
            r"'import json, sys; print\(json\.load\(sys\.stdin\)\[\"(?P<field>\w+)\"\]\)'\)",
            keep_job_id,
        ),
        Rule(
            r"(?:[A-Z_]+=\S+ )*(?:uv run (?:--env-file \.env )?)?python -m \w+ \w+(?: \S+)*",
            package_command,
        ),
        Rule(r"curl .+", curl),
        Rule(
            r"\(sleep (?P<sleep>\d+); echo '(?P<body>[^']+)'\) \| (?P<curl>curl .+ -T - .+)",
            slow_request,
        ),
        Rule(r"docker compose", compose_bare),
        Rule(r"docker compose build", compose_build),
        Rule(r"docker compose up -d", compose_up),
        Rule(r"docker compose down -v", compose_down),
        Rule(r"docker compose run --rm (?P<service>\w+)", compose_one_off),
        Rule(r"docker compose (?:ps|logs(?: -f)?(?: (?P<service>\w+))?)", compose_read),
        Rule(re.escape(FAILS_ON_PURPOSE), compose_scale_web_fails),
        Rule(r"docker compose up -d(?: --scale (?!web=3)\w+=\d+)+", compose_scale),
        Rule(r"docker compose stop(?: (?P<service>\w+))?", compose_stop),
        Rule(r"docker compose kill(?: (?P<service>\w+))?", compose_kill),
        Rule(r"(?:[A-Z_]+=\S+ )+docker compose up -d --no-deps web", compose_changed_setting),
        Rule(
            r"docker image inspect (?P<image>\S+) --format '\{\{json \.Config\.Labels\}\}'",
            image_labels,
        ),
        Rule(r"kubectl kustomize (?P<overlay>k8s/overlays/\w+)", kustomize),
    ]


def check_command(context: Context, all_rules: list[Rule], command: str) -> None:
    command = normalise(command)
    matching = [rule for rule in all_rules if rule.match(command)]
    assert matching, f"no rule knows `{command}`: add one to tests/docs_commands.py"
    assert len(matching) == 1, f"`{command}` matches several rules: {[r.pattern for r in matching]}"
    (rule,) = matching
    rule.used += 1
    context.rules = all_rules
    try:
        rule.check(context, rule.match(command))
    except AssertionError as error:
        raise AssertionError(f"`{command}`: {error}") from None
