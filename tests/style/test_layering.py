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

ROOT = Path(__file__).parents[2]
BIN = Path(sys.executable).parent
DOMAINS = ("appeals_intake", "appeals_routing", "appeals_deadlines", "appeals_notification", "appeals_inspection",
           "appeals_portal", "appeals_workspace", "appeals_desk", "appeals_mail")


def test_the_layering_contracts_hold():
    run = subprocess.run([str(BIN / "lint-imports"), "--no-cache"], cwd=ROOT, capture_output=True, text=True,
                         timeout=600)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert "0 broken" in run.stdout


def test_every_package_type_checks_and_the_inner_floors_strictly():
    """Strict on the domains, the handlers and the runtime (mypy.ini's per-module section); mypy's
    defaults on the rest of every service and application, the contracts and the on-call's
    command."""
    packages = [arg for name in (*DOMAINS, "appeals_contracts", "appeals_runtime", "appeals_ops") for arg in ("-p", name)]
    run = subprocess.run([sys.executable, "-m", "mypy", "--no-incremental", *packages], cwd=ROOT,
                         capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]


#: Unit tests whose fakes are checked against the protocols they stand for (each has a function
#: returning its fake as the handlers' ``UnitOfWork``). The other services' fakes still lack
#: members the handlers they are not used with need (see issue 34's note).
TYPED_FAKES = ("services/deadline-tracker/tests/test_handlers.py",)


def test_the_fakes_are_what_the_handlers_declare():
    run = subprocess.run([sys.executable, "-m", "mypy", "--no-incremental", *TYPED_FAKES], cwd=ROOT,
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]


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
