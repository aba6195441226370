"""`appeals-routing load-rules` on real PostgreSQL: a new version loads, a broken file is
refused with its reasons and changes nothing."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import asyncpg
import pytest

from appeals_routing.adapters.data_files import bundled, bundled_directory

pytestmark = pytest.mark.integration


async def load(database_url: str, rules: Path, executors: Path | None = None):
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "appeals_routing.entrypoints.cli", "load-rules", "--rules", str(rules),
        "--executors", str(executors or bundled_directory()),
        env={**os.environ, "DATABASE_URL": database_url},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await proc.communicate()
    return proc.returncode, out.decode() + err.decode()


async def stored(database_url: str) -> list[tuple]:
    conn = await asyncpg.connect(database_url)
    try:
        return [tuple(r) for r in await conn.fetch(
            "SELECT rule_set_version, rule_id, category, district, executor_code FROM rules ORDER BY 1, 2")]
    finally:
        await conn.close()


async def test_load_refuse_and_upgrade(scratch_database: str, tmp_path: Path):
    code, text = await load(scratch_database, bundled("rules.yaml"))
    assert code == 0, text
    before = await stored(scratch_database)
    assert before

    original = bundled("rules.yaml").read_text()
    broken = tmp_path / "broken.yaml"
    broken.write_text(original.replace("version: 1", "version: 2").replace(
        "executor: social_dept", "executor: ministry_of_magic", 1) + "  - {id: extra, category: weather, executor: health_dept}\n")
    code, text = await load(scratch_database, broken)
    assert code == 1
    assert "unknown executor 'ministry_of_magic'" in text and "unknown category 'weather'" in text
    assert "nothing changed" in text
    assert await stored(scratch_database) == before

    same_version = tmp_path / "same.yaml"
    same_version.write_text(original.replace("executor: social_dept", "executor: health_dept", 1))
    code, text = await load(scratch_database, same_version)
    assert code == 1 and "not newer" in text

    upgraded = tmp_path / "v2.yaml"
    upgraded.write_text(original.replace("version: 1", "version: 2").replace(
        "{id: social_aid, category: social_aid, executor: social_dept", "{id: social_aid, category: social_aid, executor: health_dept"))
    code, text = await load(scratch_database, upgraded)
    assert code == 0, text
    after = await stored(scratch_database)
    assert (2, "social_aid", "social_aid", None, "health_dept") in after
    assert (1, "social_aid", "social_aid", None, "social_dept") in after, "earlier versions stay for existing assignments"
