"""A throwaway sixth service walked through the platform's registries the way
docs/adding-a-service.md says, so the document cannot drift from what the tree does.

The package is written into a temporary folder with exactly the files the document's layout
names (section 1), shaped as the document says: a pure domain, handlers over a unit-of-work
protocol, the PostgreSQL unit of work in adapters, the inbound table in
``entrypoints/consumers.py`` (section 3), routes that declare their roles (section 5). Then:

- its AsyncAPI document is what the runtime generates from its ``ServiceSpec`` (its inbound
  table's topics and handled event types; ``make asyncapi``);
- its Kafka principal's ACLs follow from that document once it is in ``SERVICES`` (section 4),
  as ``appeals-stack acls`` makes them;
- every route it has declares the roles that may call it, as the route × role table reads them;
- ``appeals status`` lists it from ``SERVICES`` on a development machine;
- the Helm chart deploys it (and monitors it) from a block under ``services:`` with its module;
- the Prometheus scrape job is exactly what the monitoring check then asks for;
- the layering contracts of ``.importlinter`` hold for it when it is added to them, and
  catch its handlers importing an adapter.
"""

from __future__ import annotations

import importlib
import json
import re
import shutil
from fnmatch import fnmatch
import subprocess
import sys
from pathlib import Path

import pytest

from appeals_devstack import kafka_acls, services
from appeals_devstack.services import ServiceDef
from appeals_runtime import asyncapi
from appeals_runtime.auth import api_routes, declared_access

ROOT = Path(__file__).parents[2]
DOC = (ROOT / "docs" / "adding-a-service.md").read_text("utf-8")
NAME, PACKAGE, PORT = "complaints-office", "appeals_complaints", 8010

FILES = {
    "config.py": '''
from appeals_runtime.settings import ServiceSettings


class ComplaintsSettings(ServiceSettings):
    service_name: str = "complaints-office"
    http_port: int = 8010
''',
    "domain/__init__.py": "",
    "domain/model.py": '''
from dataclasses import dataclass
from uuid import UUID


@dataclass(frozen=True)
class Complaint:
    appeal_id: UUID
    category: str


def is_ours(category: str) -> bool:
    return category.startswith("complaint")
''',
    "handlers.py": '''
from collections.abc import Sequence
from typing import Protocol

from appeals_complaints.domain.model import Complaint, is_ours


class ComplaintRepository(Protocol):
    async def add(self, complaints: Sequence[Complaint]) -> None: ...
    async def count(self) -> int: ...


class UnitOfWork(Protocol):
    @property
    def complaints(self) -> ComplaintRepository: ...


async def take(uow: UnitOfWork, complaints: Sequence[Complaint]) -> None:
    await uow.complaints.add([c for c in complaints if is_ours(c.category)])
''',
    "adapters/__init__.py": "",
    "adapters/repository.py": '''
from collections.abc import Sequence

import asyncpg

from appeals_complaints.domain.model import Complaint


class PostgresComplaints:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def add(self, complaints: Sequence[Complaint]) -> None:
        await self._conn.executemany("INSERT INTO complaints VALUES ($1, $2) ON CONFLICT DO NOTHING",
                                     [(c.appeal_id, c.category) for c in complaints])

    async def count(self) -> int:
        return int(await self._conn.fetchval("SELECT count(*) FROM complaints"))
''',
    "adapters/events.py": '''
from appeals_complaints.domain.model import Complaint
from appeals_contracts.events import AppealRegistered


def complaint(event: AppealRegistered) -> Complaint:
    return Complaint(event.appeal_id, event.category)
''',
    "adapters/unit_of_work.py": '''
import asyncpg

from appeals_complaints.adapters.repository import PostgresComplaints
from appeals_runtime.unit_of_work import UnitOfWork


class PostgresUnitOfWork(UnitOfWork):
    complaints: PostgresComplaints

    def bind(self, conn: asyncpg.Connection) -> None:
        super().bind(conn)
        self.complaints = PostgresComplaints(conn)
''',
    "entrypoints/__init__.py": "",
    "entrypoints/consumers.py": '''
from collections.abc import Sequence

from appeals_complaints import handlers
from appeals_complaints.adapters.events import complaint
from appeals_complaints.adapters.unit_of_work import PostgresUnitOfWork
from appeals_contracts.events import AppealRegistered
from appeals_runtime.inbound import Delivery, batch


async def on_registered(uow: PostgresUnitOfWork, deliveries: Sequence[Delivery]) -> None:
    await handlers.take(uow, [complaint(d.event) for d in deliveries if isinstance(d.event, AppealRegistered)])


SUBSCRIPTIONS = [batch("appeal-events", "appeals.registered.v1", (AppealRegistered,), on_registered)]
''',
    "entrypoints/http.py": '''
from typing import Annotated

from fastapi import APIRouter

from appeals_complaints.adapters.unit_of_work import PostgresUnitOfWork
from appeals_runtime.auth import allow
from appeals_runtime.service import UnitOfWorkDep

router = APIRouter()


@router.get("/v1/complaints/count", dependencies=[allow("inspector")])
async def count(uow: Annotated[PostgresUnitOfWork, UnitOfWorkDep]) -> dict[str, int]:
    return {"complaints": await uow.complaints.count()}
''',
    "entrypoints/main.py": '''
from appeals_complaints.bootstrap import build_app
from appeals_complaints.config import ComplaintsSettings
from appeals_runtime.service import serve

if __name__ == "__main__":
    settings = ComplaintsSettings()
    serve(build_app(settings), settings)
''',
    "bootstrap.py": '''
from fastapi import FastAPI

from appeals_complaints.adapters.unit_of_work import PostgresUnitOfWork
from appeals_complaints.config import ComplaintsSettings
from appeals_complaints.entrypoints import consumers, http
from appeals_runtime.service import ServiceSpec, create_app


def build_app(settings: ComplaintsSettings | None = None) -> FastAPI:
    return create_app(ServiceSpec(title="Complaints office", settings=settings or ComplaintsSettings(),
                                  migrations_package="appeals_complaints.migrations",
                                  unit_of_work=PostgresUnitOfWork, subscriptions=consumers.SUBSCRIPTIONS,
                                  routers=[http.router]))
''',
    "migrations/__init__.py": "",
    "migrations/0001_complaints.sql": "CREATE TABLE complaints (appeal_id uuid PRIMARY KEY, category text NOT NULL);\n",
}


def documented_layout() -> set[str]:
    """The package's files as section 1's tree names them (folders end in ``/``)."""
    block = DOC[DOC.index("## 1. The package"):DOC.index("Rules that keep")]
    paths, stack = set(), []
    for line in block.split("```")[1].splitlines():
        match = re.match(r"^(\s*)(\S+)", line)
        if not match or match[2] == "services/complaints-office/" or match[2].startswith("#"):
            continue  # the service's folder, or a comment running on
        depth = (len(match[1]) - 2) // 2
        stack[depth:] = [match[2]]
        paths.add("".join(stack))
    return {p.removeprefix("appeals_complaints/") for p in paths if p.startswith("appeals_complaints/")} - {""}


@pytest.fixture(scope="module")
def sixth(tmp_path_factory) -> Path:
    home = tmp_path_factory.mktemp("sixth") / "services" / NAME
    for relative, text in FILES.items():
        path = home / PACKAGE / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"from __future__ import annotations\n{text}" if relative.endswith(".py") and text else text,
                        "utf-8")
    (home / PACKAGE / "__init__.py").write_text("", "utf-8")
    sys.path.insert(0, str(home))
    yield home
    sys.path.remove(str(home))
    for module in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
        del sys.modules[module]


def test_the_package_has_the_layout_the_document_draws(sixth):
    layout = documented_layout()
    written = {str(p.relative_to(sixth / PACKAGE)) + ("/" if p.is_dir() else "")
               for p in (sixth / PACKAGE).rglob("*") if "__pycache__" not in p.parts}
    drawn_files = {p for p in layout if not p.endswith("/")}
    assert layout >= {"config.py", "handlers.py", "bootstrap.py", "entrypoints/consumers.py"}, layout
    assert all(any(fnmatch(w, d) for w in written) for d in drawn_files), drawn_files
    assert {p for p in layout if p.endswith("/")} <= written


@pytest.fixture(scope="module")
def registered(sixth, tmp_path_factory):
    """The sixth service in ``SERVICES`` with its AsyncAPI document beside the five's."""
    definition = ServiceDef(NAME, f"{PACKAGE}.entrypoints.main", PORT, f"{PACKAGE}.config:ComplaintsSettings")
    docs = tmp_path_factory.mktemp("asyncapi")
    for document in (ROOT / "docs" / "asyncapi").glob("*.json"):
        shutil.copy(document, docs)
    app = importlib.import_module(f"{PACKAGE}.bootstrap").build_app()
    (docs / f"{NAME}.json").write_text(asyncapi.render(app.state.spec), "utf-8")
    patch = pytest.MonkeyPatch()
    patch.setattr(services, "SERVICES", services.SERVICES + (definition,))
    patch.setattr(kafka_acls, "SERVICES", services.SERVICES)
    yield app, docs
    patch.undo()


def test_its_asyncapi_document_is_its_inbound_table(registered):
    _, docs = registered
    document = json.loads((docs / f"{NAME}.json").read_text("utf-8"))
    assert asyncapi.receives(document) == {"appeals.registered.v1": frozenset({"appeal.registered"})}


def test_its_kafka_principal_gets_the_acls_its_document_implies(registered):
    _, docs = registered
    acls = {(a.kind, a.name, a.operations) for a in kafka_acls.principals(docs)[f"appeals-{NAME}"]}
    assert acls == {("topic", "appeals.registered.v1", ("Read", "Describe")),
                    ("topic", f"appeals.registered.v1.dlq.{NAME}", ("Write", "Create", "Describe")),
                    ("group", f"{NAME}.", ("Read",))}


def test_every_route_declares_who_may_call_it(registered):
    app, _ = registered
    own = [r for r in api_routes(app.routes) if r.path.startswith("/v1/")]
    access = {r.path: declared_access(r.dependant.dependencies) for r in own}
    assert access and all(a is not None for a in access.values()), access
    assert access["/v1/complaints/count"].roles == frozenset({"inspector"})


def test_the_status_screen_lists_it(registered, monkeypatch, capsys):
    from appeals_ops import cli, status

    asked: list[str] = []
    monkeypatch.setattr(status, "read", lambda name, url, token: asked.append(f"{name} {url}") or status.Row(
        name, "ready", "", "0", "0", "0"))
    assert cli.main(["status", "--token", "t"]) == 0
    assert f"{NAME} http://127.0.0.1:{PORT}" in asked and NAME in capsys.readouterr().out


def _lint(package_home: Path, folder: Path) -> subprocess.CompletedProcess[str]:
    """``lint-imports`` with the sixth package added to ``.importlinter`` wherever the five and
    the applications are named (the document's "add the new package to both")."""
    config = (ROOT / ".importlinter").read_text("utf-8")
    config = re.sub(r"^(    )appeals_mail(\.domain)?$", rf"\g<0>\n\1{PACKAGE}\2", config, flags=re.MULTILINE)
    assert config.count(PACKAGE) == 5, config  # root packages, independence, libraries, domains, layers
    (folder / ".importlinter").write_text(config, "utf-8")
    env = {"PYTHONPATH": str(package_home), "PATH": str(Path(sys.executable).parent)}
    return subprocess.run([str(Path(sys.executable).parent / "lint-imports"), "--no-cache", "--config",
                           str(folder / ".importlinter")], cwd=ROOT, capture_output=True, text=True, env=env,
                          timeout=600)


def test_the_layering_contracts_hold_for_it_and_catch_a_handler_importing_an_adapter(sixth, tmp_path):
    kept = _lint(sixth, tmp_path)
    assert kept.returncode == 0 and "0 broken" in kept.stdout, kept.stdout[-3000:]

    wrong = tmp_path / "wrong"
    shutil.copytree(sixth, wrong, ignore=shutil.ignore_patterns("__pycache__"))
    handlers = wrong / PACKAGE / "handlers.py"
    handlers.write_text(handlers.read_text("utf-8") + f"\nfrom {PACKAGE}.adapters import repository\n", "utf-8")
    broken = _lint(wrong, tmp_path)
    assert broken.returncode != 0, broken.stdout[-3000:]
    assert f"{PACKAGE}.handlers -> {PACKAGE}.adapters.repository" in broken.stdout, broken.stdout[-3000:]


def test_the_chart_deploys_it_from_a_block_under_services():
    """Section 6: a block under ``services:`` with its ``module`` is all the chart needs for its
    Deployment, Service, autoscaler, disruption budget and (monitoring on) ServiceMonitor."""
    import helm_python as helm
    import kubernetes_validate
    import yaml

    chart = ROOT / "deploy" / "helm" / "open-appeals"
    values = yaml.safe_load((chart / "values-monitoring.yaml").read_text("utf-8"))
    values["services"] = {NAME: {"module": f"{PACKAGE}.entrypoints.main"}}
    with helm.Chart.load(str(chart)) as loaded:
        rendered = loaded.render(values, name="appeals", namespace="appeals")
    manifests = [doc for text in rendered.values() for doc in yaml.safe_load_all(text) if doc]
    ours = {m["kind"]: m for m in manifests if m["metadata"]["name"] == f"appeals-{NAME}"}
    assert {"Deployment", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget", "ServiceMonitor"} <= set(ours)
    for kind in ("Deployment", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget"):
        kubernetes_validate.validate(ours[kind], "1.31", strict=True)
    [container] = ours["Deployment"]["spec"]["template"]["spec"]["containers"]
    assert f"{PACKAGE}.entrypoints.main" in " ".join(container.get("command", []) + container.get("args", []))


def test_the_scrape_job_is_the_one_step_the_monitoring_check_asks_for(registered):
    """Section 6's Prometheus step: with the sixth service registered, the job names the
    monitoring check compares (tests/deploy/test_monitoring.py) lack exactly its job; with the
    job the document describes added, they agree."""
    import yaml

    config = yaml.safe_load((ROOT / "deploy" / "monitoring" / "prometheus.yml").read_text("utf-8"))
    wanted = {f"appeals-{s.name}" for s in services.SERVICES + services.APPS}
    jobs = {j["job_name"] for j in config["scrape_configs"]}
    assert wanted - jobs == {f"appeals-{NAME}"}
    template = dict(config["scrape_configs"][0])
    config["scrape_configs"].append({**template, "job_name": f"appeals-{NAME}",
                                     "static_configs": [{"targets": [f"{NAME}:8000"]}]})
    assert {j["job_name"] for j in config["scrape_configs"]} == wanted
