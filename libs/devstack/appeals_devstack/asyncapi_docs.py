"""``appeals-asyncapi``: write each service's AsyncAPI document to ``docs/asyncapi/<service>.json``
(``--check`` only compares, for CI)."""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

from appeals_devstack.services import SERVICES, ServiceDef
from appeals_runtime.asyncapi import render

DOCS = Path("docs/asyncapi")


def rendered(service: ServiceDef) -> str:
    """The document of ``service``, from its own composition root (no broker or database needed)."""
    bootstrap = importlib.import_module(service.module.replace("entrypoints.main", "bootstrap"))
    return render(bootstrap.build_app().state.spec)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="appeals-asyncapi", description=__doc__)
    parser.add_argument("--dir", type=Path, default=DOCS)
    parser.add_argument("--check", action="store_true", help="fail when a committed document is out of date")
    args = parser.parse_args(argv)
    stale = []
    for service in SERVICES:
        path = args.dir / f"{service.name}.json"
        text = rendered(service)
        if args.check:
            if not path.is_file() or path.read_text("utf-8") != text:
                stale.append(str(path))
        else:
            args.dir.mkdir(parents=True, exist_ok=True)
            path.write_text(text, "utf-8")
            print(f"wrote {path}")
    if stale:
        print("out of date (run `make asyncapi`): " + ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
