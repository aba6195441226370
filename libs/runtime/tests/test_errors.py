import asyncpg
from aiokafka.errors import KafkaConnectionError, KafkaTimeoutError, MessageSizeTooLargeError
from pydantic import BaseModel, ValidationError

from appeals_runtime.errors import TransientError, describe, is_transient


class Contact(BaseModel):
    email: int


def test_transient_faults_are_recognised():
    assert is_transient(ConnectionRefusedError())
    assert is_transient(KafkaConnectionError())
    assert is_transient(asyncpg.exceptions.DeadlockDetectedError())
    assert is_transient(TransientError("smtp down"))
    assert not is_transient(KeyError("bug"))
    assert not is_transient(asyncpg.exceptions.UniqueViolationError())


def test_a_kafka_error_is_transient_only_when_retriable():
    assert not is_transient(MessageSizeTooLargeError())
    assert is_transient(KafkaTimeoutError())


def test_descriptions_never_carry_the_input():
    try:
        Contact(email="aigerim@example.kz")
    except ValidationError as exc:
        text = describe(exc)
    assert "aigerim" not in text and "email" in text
