"""How long does generating the default service take, and how much of it is the template's own?

Prints, each beside its budget:

- `copier copy` of the default variant through copier's command line (a process of its
  own, as users run it: hook included, `uv lock` skipped), against `copier copy` of a
  plain template holding the same generated files (`_templates_suffix: .jinja`, so
  nothing is rendered, and no tasks), run alternately with the same copier. Their
  ratio is the template's own cost: rendering, its post-generation task, what copier
  clones. Budget: <= 1.25x. Both are git repositories copied at HEAD, so both pay
  copier's clone, and both run with copier's modules compiled once and cached, as a
  user's copier does (the first copy, not timed, caches them);
- the median wall time of `copier copy` (API) and `cookiecutter`, each including the
  post-generation hook's git init and first commit;
- the `uv lock` step the hook also runs, separately.

With --profile it also runs one `copier copy` of the default variant in this process
under cProfile and prints the top entries, the time each kind of subprocess took (copier
runs git; the task runs the hook), and the hook's own profile. Asserts nothing.

    uv run python bench/generate.py [--runs 7] [--profile] [--top 15]
"""

import argparse
import cProfile
import io
import os
import pstats
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.generate import (  # noqa: E402
    ANSWERS_FILE,
    cookiecutter_bake,
    copier_copy,
    environment,
    expose_pyenv_interpreters,
    snapshot,
)
from tests.variants import DEFAULT  # noqa: E402

RATIO_BUDGET = 1.25
COPIER_GOAL_SECONDS = 1.0
COOKIECUTTER_GOAL_SECONDS = 0.8


def timed(action) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def cpu_of_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def git(*args: str, cwd: Path) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def committed_copy(template: Path) -> Path:
    """The snapshot as a git repository with one commit, as a clone would serve it."""
    git("init", "--quiet", "--initial-branch=main", cwd=template)
    git("add", "--all", cwd=template)
    env = {"GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "bench@example.invalid"}
    subprocess.run(
        ["git", "commit", "--quiet", "--no-verify", "-m", "template"],
        cwd=template, check=True, capture_output=True,
        env=os.environ | env | {"GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "x@y.z"},
    )  # fmt: skip
    return template


def plain_template(generated: Path, target: Path) -> Path:
    """A copier template of the generated files, none of them rendered, with no tasks."""
    files = target / "template"
    shutil.copytree(generated, files, ignore=shutil.ignore_patterns(".git", ANSWERS_FILE))
    (target / "copier.yml").write_text(
        '_subdirectory: template\n_templates_suffix: ".jinja"\n_answers_file: .answers.yml\n'
    )
    return committed_copy(target)


def copier_cli(template: Path, destination: Path, answers: dict[str, str] | None) -> None:
    data = [item for key, value in (answers or {}).items() for item in ("-d", f"{key}={value}")]
    command = [
        sys.executable, "-m", "copier", "copy", "--quiet", "--trust", "--defaults",
        "--vcs-ref", "HEAD", *data, str(template), str(destination),
    ]  # fmt: skip
    # Python caches copier's compiled modules as users' machines do (a machine that sets
    # PYTHONDONTWRITEBYTECODE compiles them again in every process: 0.9 s more per copy
    # here, for both templates alike, which would hide the template's own share).
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run(command, check=True, capture_output=True, env=env)


def count_files(project: Path) -> int:
    return sum(1 for path in project.rglob("*") if path.is_file() and ".git" not in path.parts)


def compare_with_plain(work: Path, template: Path, runs: int) -> None:
    """`copier copy` (CLI) of the template against a plain template of its output."""
    reference = work / "reference"
    with environment(TEMPLATE_SKIP_LOCK="1"):
        copier_cli(template, reference, DEFAULT)
    plain = plain_template(reference, work / "plain-template")
    times: dict[str, list[float]] = {"template": [], "plain": []}
    cpu: dict[str, list[float]] = {"template": [], "plain": []}
    sources = {"template": (template, DEFAULT), "plain": (plain, None)}
    with environment(TEMPLATE_SKIP_LOCK="1"):
        for run in range(runs):
            order = ["template", "plain"] if run % 2 == 0 else ["plain", "template"]
            for name in order:
                source, answers = sources[name]
                destination = work / f"cli-{name}-{run}"
                before = cpu_of_children()
                times[name].append(timed(partial(copier_cli, source, destination, answers)))
                cpu[name].append(cpu_of_children() - before)
    files = count_files(reference)
    template_s, plain_s = (statistics.median(times[name]) for name in ("template", "plain"))
    template_cpu, plain_cpu = (statistics.median(cpu[name]) for name in ("template", "plain"))
    ratio = template_s / plain_s
    print(
        f"copier CLI, default variant (hook, no lock)  median {template_s:.3f} s "
        f"(CPU {template_cpu:.3f} s)"
    )
    print(
        f"copier CLI, plain template of its {files} files  median {plain_s:.3f} s "
        f"(CPU {plain_cpu:.3f} s)"
    )
    print(
        f"template / plain: {ratio:.2f}x wall, {template_cpu / plain_cpu:.2f}x CPU "
        f"(budget <= {RATIO_BUDGET:.2f}x: {'within' if ratio <= RATIO_BUDGET else 'OVER'})"
    )


def print_profile(profile: cProfile.Profile, top: int, title: str) -> None:
    for order in ("tottime", "cumulative"):
        out = io.StringIO()
        stats = pstats.Stats(profile, stream=out)
        stats.strip_dirs().sort_stats(order).print_stats(top)
        lines = out.getvalue().splitlines()
        start = next(i for i, line in enumerate(lines) if line.lstrip().startswith("ncalls"))
        print(f"\n{title}: top {top} by {order}")
        print("\n".join(lines[start : start + top + 1]))


def profile_generation(work: Path, top: int) -> None:
    """Profile one `copier copy` in this process, time its subprocesses, profile the hook."""
    repository = work / "repository" / "template"
    import copier  # noqa: F401  (imported before profiling: not part of a copy's cost)

    spans: dict[str, list[float]] = defaultdict(list)
    original_init, original_wait = subprocess.Popen.__init__, subprocess.Popen.wait

    def init(self, args, *rest, **kwargs):
        self._bench_started = time.perf_counter()
        words = [Path(str(arg)).name for arg in (args if isinstance(args, list) else [args])]
        # git's subcommand, or the script a Python process runs (the task: the hook).
        script = next((word for word in words if word.endswith(".py")), words[0])
        self._bench_kind = " ".join(words[:2]) if words[0] == "git" else script
        original_init(self, args, *rest, **kwargs)

    def wait(self, *args, **kwargs):
        code = original_wait(self, *args, **kwargs)
        if not getattr(self, "_bench_done", False):
            self._bench_done = True
            spans[self._bench_kind].append(time.perf_counter() - self._bench_started)
        return code

    profile = cProfile.Profile()
    subprocess.Popen.__init__, subprocess.Popen.wait = init, wait
    try:
        started = time.perf_counter()
        profile.runcall(copier_copy, DEFAULT, work / "profiled", src=repository)
        elapsed = time.perf_counter() - started
    finally:
        subprocess.Popen.__init__, subprocess.Popen.wait = original_init, original_wait
    print(f"\nprofile: one `copier copy` (API, in this process), {elapsed:.3f} s under cProfile")
    print_profile(profile, top, "copier copy")
    print("\nsubprocesses during that copy (wall time, includes the profiler's slowdown):")
    for kind, seconds in sorted(spans.items(), key=lambda item: -sum(item[1])):
        print(f"  {kind:40} {len(seconds):4} x  {sum(seconds):7.3f} s")

    # The hook alone, on a fresh render without tasks, profiled in this process.
    project = work / "hook-only"
    import copier as copier_module

    copier_module.run_copy(
        str(repository), project, data=DEFAULT, defaults=True, unsafe=True, vcs_ref="HEAD",
        quiet=True, skip_tasks=True,
    )  # fmt: skip
    sys.path.insert(0, str(ROOT / "hooks"))
    import post_gen_project

    hook = cProfile.Profile()
    cwd = Path.cwd()
    os.chdir(project)
    try:
        with environment(TEMPLATE_SKIP_LOCK="1"):
            started = time.perf_counter()
            hook.runcall(post_gen_project.main, ["hook", _answers_json(project), "copy"])
            elapsed = time.perf_counter() - started
    finally:
        os.chdir(cwd)
    print(f"\nprofile: the post-generation hook alone, {elapsed:.3f} s")
    print_profile(hook, min(top, 10), "hook")


def _answers_json(project: Path) -> str:
    import json

    import yaml

    answers = yaml.safe_load((project / ANSWERS_FILE).read_text())
    return json.dumps({k: v for k, v in answers.items() if not k.startswith("_")})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--profile", action="store_true", help="profile one copy and the hook")
    parser.add_argument("--top", type=int, default=15, help="profile entries to print")
    options = parser.parse_args()
    runs = options.runs
    expose_pyenv_interpreters()
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        template = snapshot(work / "template" / "twelve-factor-service-template")
        # The working tree as it is now, committed: what a clone of a release holds.
        repository = committed_copy(snapshot(work / "repository" / "template"))
        compare_with_plain(work, repository, runs)
        copier_times, cookiecutter_times, lock_times = [], [], []
        for run in range(runs):
            project, out = work / f"copier-{run}", work / f"cookiecutter-{run}"
            copier_times.append(timed(partial(copier_copy, DEFAULT, project, src=repository)))
            cookiecutter_times.append(timed(partial(cookiecutter_bake, DEFAULT, out, template)))
            started = time.perf_counter()
            locked = subprocess.run(["uv", "lock", "--quiet"], cwd=project, capture_output=True)
            if locked.returncode == 0:
                lock_times.append(time.perf_counter() - started)
        copier_median = statistics.median(copier_times)
        cookiecutter_median = statistics.median(cookiecutter_times)
        print(f"runs: {runs} (default variant, hook included, lock step excluded)")
        print(f"copier        median {copier_median:.3f} s  (goal <= {COPIER_GOAL_SECONDS} s)")
        print(
            f"cookiecutter  median {cookiecutter_median:.3f} s  "
            f"(goal <= {COOKIECUTTER_GOAL_SECONDS} s)"
        )
        if lock_times:
            print(f"uv lock step  median {statistics.median(lock_times):.3f} s  (warm uv cache)")
        else:
            print("uv lock step  failed: no interpreter or index for the service's Python")
        if options.profile:
            profile_generation(work, options.top)


if __name__ == "__main__":
    main()
