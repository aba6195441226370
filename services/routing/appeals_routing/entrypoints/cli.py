"""``appeals-routing load-rules``: validate and store a directory and rule file.

A file with an unknown executor, category or district, a tie, or no default is refused
with every reason listed, and nothing is changed. Uses DATABASE_URL.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

import asyncpg

from appeals_routing.adapters.data_files import RuleFileError, bundled, bundled_directory
from appeals_routing.adapters.unit_of_work import PostgresUnitOfWork
from appeals_routing.bootstrap import load_rule_files
from appeals_routing.config import RoutingSettings
from appeals_routing.handlers import RulesRefused
from appeals_runtime.migrations import discover, migrate, runtime_migrations
from appeals_runtime.unit_of_work import event_source


async def _load(settings: RoutingSettings, executors: Path, rules: Path) -> str:
    pool = await asyncpg.create_pool(settings.database_url, min_size=1, max_size=1)
    try:
        async with pool.acquire() as conn:
            await migrate(conn, runtime_migrations() + discover("routing", "appeals_routing.migrations"))
        async with PostgresUnitOfWork(pool, source=event_source(settings.service_name)) as uow:
            return await load_rule_files(uow, executors, rules)
    finally:
        await pool.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="appeals-routing", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    load = sub.add_parser("load-rules", help="validate and store the executor directory and routing rules")
    load.add_argument("--executors", type=Path, default=bundled_directory())
    load.add_argument("--rules", type=Path, default=bundled("rules.yaml"))
    args = parser.parse_args(argv)
    try:
        print(asyncio.run(_load(RoutingSettings(), args.executors, args.rules)))
    except (RulesRefused, RuleFileError) as exc:
        problems = getattr(exc, "problems", [str(exc)])
        print("refused; nothing changed:\n  " + "\n  ".join(problems), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
