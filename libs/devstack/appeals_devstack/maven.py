"""Java products the tests run (Apache Kafka, Keycloak), fetched from Maven Central by the
project's own pinned poms (``deploy/*/pom.xml``) with Debian's Maven, into the state folder."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path


def copy_dependencies(pom: Path, state_dir: Path, output: Path, *options: str, what: str) -> None:
    """``mvn dependency:copy-dependencies`` of ``pom`` into ``output``; Maven's own repository is
    ``state_dir/m2`` (kept, so a second fetch downloads nothing)."""
    mvn = shutil.which("mvn")
    if mvn is None:
        raise RuntimeError(f"{what} is fetched with Maven: install it (Debian's package maven)")
    subprocess.run([mvn, "-q", "-B", "-f", str(pom), f"-Dmaven.repo.local={state_dir / 'm2'}",
                    "dependency:copy-dependencies", f"-DoutputDirectory={output}", *options],
                   check=True, stdout=subprocess.DEVNULL, timeout=900)
