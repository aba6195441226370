"""Shared runtime of the appeals services.

Each mechanism lives here once: settings, the Postgres pool and migrations runner, the
transactional outbox and its relay, the inbox, the Kafka consumer wrapper (batches,
retries, dead letters, commit after the database commit), telemetry and health.
"""
