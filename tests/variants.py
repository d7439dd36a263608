"""The answer sets the template is tested with.

Render and parity tests cover every pair of choices (all-pairs over the choice
questions) plus the extremes: the default service and the minimal one with every
backing service off. Heavier tiers run a named subset.
"""

from itertools import product

from allpairspy import AllPairs

# Choice questions and their choices, in copier.yml order. tests/test_questions.py
# checks this against copier.yml and cookiecutter.json.
CHOICES: dict[str, list[str]] = {
    "python_version": ["3.14", "3.15", "3.13"],
    "license": ["MIT", "Apache-2.0", "Proprietary"],
    "database": ["postgres", "none"],
    "cache": ["redis", "none"],
    "worker": ["celery", "none"],
    "broker": ["rabbitmq", "redis"],
    "ci": ["github", "gitlab", "none"],
    "telemetry": ["yes", "no"],
    "auth": ["none", "jwt"],
}

DEFAULT: dict[str, str] = {name: choices[0] for name, choices in CHOICES.items()}
MINIMAL: dict[str, str] = DEFAULT | {"database": "none", "cache": "none", "worker": "none"}


def _named(answers: dict[str, str]) -> tuple[str, dict[str, str]]:
    if answers == DEFAULT:
        return "default", answers
    if answers == MINIMAL:
        return "minimal", answers
    differences = [f"{k}={v}" for k, v in answers.items() if DEFAULT[k] != v]
    return "-".join(differences), answers


def pairwise() -> dict[str, dict[str, str]]:
    names = list(CHOICES)
    rows = [dict(zip(names, row, strict=True)) for row in AllPairs(list(CHOICES.values()))]
    return dict(_named(answers) for answers in [DEFAULT, MINIMAL, *rows])


def backing_service_combinations() -> dict[str, dict[str, str]]:
    """Every combination of database, cache and worker (and broker when there is a worker)."""
    combos = []
    for database, cache, worker in product(
        ["postgres", "none"], ["redis", "none"], ["celery", "none"]
    ):
        brokers = CHOICES["broker"] if worker == "celery" else ["rabbitmq"]
        for broker in brokers:
            combos.append(
                DEFAULT | {"database": database, "cache": cache, "worker": worker, "broker": broker}
            )
    return dict(_named(answers) for answers in combos)


RENDER_VARIANTS = pairwise()
