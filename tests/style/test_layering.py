"""The architecture's rules, checked by tools instead of described: import-linter's contracts in
``.importlinter`` (no service imports another, libraries import no service, the contracts stand
alone, the runtime never imports the development stack, a domain imports no framework, and
inside each service the composition root and entrypoints sit over adapters over handlers over
the domain: handlers never import adapters), and mypy strict on every domain, the handlers and
the runtime and with its defaults on everything else (``mypy.ini``)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
BIN = Path(sys.executable).parent
DOMAINS = ("appeals_intake", "appeals_routing", "appeals_deadlines", "appeals_notification", "appeals_inspection",
           "appeals_portal", "appeals_workspace", "appeals_desk", "appeals_mail")


def test_the_layering_contracts_hold():
    run = subprocess.run([str(BIN / "lint-imports"), "--no-cache"], cwd=ROOT, capture_output=True, text=True,
                         timeout=600)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert "0 broken" in run.stdout


@pytest.fixture(scope="module")
def mypy_cache(tmp_path_factory) -> str:
    """A cache new to this run (nothing stale), shared by the two mypy runs below: the fakes'
    check then reads the packages' results instead of checking them again."""
    return str(tmp_path_factory.mktemp("mypy-cache"))


def test_every_package_type_checks_and_the_inner_floors_strictly(mypy_cache):
    """Strict on the domains, the handlers and the runtime (mypy.ini's per-module section); mypy's
    defaults on the rest of every service and application, the contracts and the on-call's
    command."""
    packages = [arg for name in (*DOMAINS, "appeals_contracts", "appeals_runtime", "appeals_ops") for arg in ("-p", name)]
    run = subprocess.run([sys.executable, "-m", "mypy", "--cache-dir", mypy_cache, *packages], cwd=ROOT,
                         capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]


#: The in-memory units of work the handlers' unit tests run on, each with a function returning it
#: as the handlers' ``UnitOfWork``: mypy checks there that the fake has every member the
#: protocol declares, its repositories' too, with compatible types where the fake gives them.
TYPED_FAKES = ("services/intake/tests/intake_fakes.py", "services/routing/tests/routing_fakes.py",
               "services/deadline-tracker/tests/deadline_fakes.py", "services/notification/tests/notification_fakes.py",
               "services/inspection/tests/inspection_fakes.py")


def test_the_fakes_are_what_the_handlers_declare(mypy_cache):
    run = subprocess.run([sys.executable, "-m", "mypy", "--cache-dir", mypy_cache, *TYPED_FAKES], cwd=ROOT,
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    for fake in TYPED_FAKES:
        assert "_the_fake_stands_for_the_protocol" in (ROOT / fake).read_text("utf-8"), fake


def test_every_service_has_a_typed_fake_that_is_checked_against_its_tables():
    """A fake is evidence only while it behaves as the tables: every service keeps its in-memory
    unit of work in one ``*_fakes.py`` (type-checked above) and runs the same steps against it and
    against PostgreSQL in a ``test_*both_ways.py`` (docs/adding-a-service.md)."""
    for service in sorted(p for p in (ROOT / "services").iterdir() if (p / "pyproject.toml").exists()):
        fakes = [str(f.relative_to(ROOT)) for f in (service / "tests").glob("*_fakes.py")]
        assert fakes and set(fakes) <= set(TYPED_FAKES), f"{service.name}: its fakes {fakes} in TYPED_FAKES"
        both_ways = list((service / "tests").glob("test_*both_ways.py"))
        assert both_ways, f"{service.name}: no test runs its fake and its tables through the same steps"
        for test in both_ways:
            text = test.read_text("utf-8")
            assert "_fakes import" in text and ("on_the_tables(" in text or "asyncpg.connect(" in text), test


def test_no_file_of_a_service_is_over_400_lines():
    """A module that long holds more than one thing: split it (as intake's handlers/ package)."""
    long = {str(f.relative_to(ROOT)): n for f in (ROOT / "services").rglob("*.py")
            if (n := len(f.read_text("utf-8").splitlines())) > 400}
    assert not long, long


def test_the_time_is_read_only_by_the_platforms_clock():
    """The wall clock is read once, in ``appeals_runtime.clock``: every service, application,
    tool, benchmark and test takes the time from a :class:`Clock` (shifted by CLOCK_OFFSET_S, or
    fixed in a unit test), and an event's time is always given (``Envelope.wrap(..., time=)``)."""
    readers = []
    for folder in ("apps", "services", "libs", "contracts", "tests", "bench"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            text = path.read_text("utf-8")
            if any(f"datetime.{call}(" in text for call in ("now", "utcnow", "today")):
                readers.append(str(path.relative_to(ROOT)))
    assert readers == ["libs/runtime/appeals_runtime/clock.py"], readers
