"""``appeals-topics``: create every topic of the registry that does not exist yet, on the
cluster the environment names (``KAFKA_*`` settings, SASL and TLS included). Production code:
the compose job and an operator without a topic operator use it; the embedded stack too."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from appeals_contracts.topics import TOPICS
from appeals_runtime.retry import RetryPolicy
from appeals_runtime.settings import ServiceSettings

#: A broker still starting refuses in many ways; try for about half a minute.
BROKER_STARTING = RetryPolicy(attempts=50, initial_s=0.2, max_s=1.0, when=lambda exc: isinstance(exc, Exception))


async def create_topics(client_options: dict[str, Any], *, replication_factor: int = 1) -> list[str]:
    """Create the registry's missing topics; returns their names."""

    async def attempt() -> list[str]:
        admin = AIOKafkaAdminClient(**client_options)
        try:
            await admin.start()
            existing = set(await admin.list_topics())
            missing = [NewTopic(t.name, t.partitions, replication_factor) for t in TOPICS.values()
                       if t.name not in existing]
            if missing:
                await admin.create_topics(missing)
            return [t.name for t in missing]
        finally:
            await admin.close()

    return await BROKER_STARTING.call("creating topics", attempt)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="appeals-topics", description=__doc__)
    parser.add_argument("--bootstrap-servers", help="default: KAFKA_BOOTSTRAP_SERVERS")
    parser.add_argument("--replication-factor", type=int, default=1)
    args = parser.parse_args(argv)
    settings = ServiceSettings(**({"kafka_bootstrap_servers": args.bootstrap_servers}
                                  if args.bootstrap_servers else {}))
    created = asyncio.run(create_topics(settings.kafka_client_options(), replication_factor=args.replication_factor))
    print(f"topics ready ({len(created)} created)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
