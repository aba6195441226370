"""The topic registry: every topic, its major version, its key and its partitions."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Topic:
    """A Kafka topic of the platform.

    ``name`` carries the major version (``.v1``); ``key`` says what the record key is,
    so all events of one appeal land on one partition in order.
    """

    name: str
    major_version: int
    key: str
    partitions: int
    event_types: tuple[str, ...]
    description: str


_PARTITIONS = 4

#: Channels whose adapter posts the platform's replies itself (``replies_in_channel`` in the
#: reference data); each has a replies topic of its own, so an adapter's principal reads only
#: its own channel's replies (status links with tokens, answers).
REPLY_CHANNELS = ("mobile_app", "social_network", "email")


def outbound_topic(channel: str) -> str:
    """The topic of the replies a channel's adapter posts: ``notifications.outbound.<channel>.v1``."""
    return f"notifications.outbound.{channel}.v1"


TOPICS: dict[str, Topic] = {
    t.name: t
    for t in (
        Topic("appeals.intake.v1", 1, "channel:channel_message_id", _PARTITIONS,
              ("appeal.submitted", "appeal.verdict_submitted"),
              "New appeals from channel adapters, and citizens' verdicts given in their channel"),
        Topic("appeals.intake-rejected.v1", 1, "channel:channel_message_id", _PARTITIONS,
              ("appeal.intake_rejected",), "Submissions intake refused, with reasons"),
        Topic("appeals.registered.v1", 1, "appeal_id", _PARTITIONS,
              ("appeal.registered",), "Registered, numbered appeals"),
        Topic("appeals.assigned.v1", 1, "appeal_id", _PARTITIONS,
              ("appeal.assigned", "appeal.not_routed", "appeal.reopened", "appeal.assignee_changed"),
              "Assignments to executors (executor code also in the ce_executor header), decisions not to route, "
              "appeals reopened by their citizens, and the employee responsible within the executor"),
        Topic("appeals.links.v1", 1, "appeal_id", _PARTITIONS,
              ("appeal.re_appeal_linked", "appeal.duplicate_linked"),
              "Links between appeals: re-appeals of the same citizen, possible duplicates"),
        Topic("appeals.verdicts.v1", 1, "appeal_id", _PARTITIONS,
              ("appeal.citizen_verdict",), "Citizens' verdicts on accepted answers: resolved or not, and a rating"),
        Topic("appeals.executor-actions.v1", 1, "appeal_id", _PARTITIONS,
              ("executor.answer_submitted", "executor.reassignment_requested",
               "executor.extension_requested"),
              "Actions published by executor portals (untrusted input)"),
        Topic("appeals.executor-actions-rejected.v1", 1, "appeal_id", _PARTITIONS,
              ("executor.action_rejected",), "Executor actions routing refused, with the reason"),
        Topic("appeals.answered.v1", 1, "appeal_id", _PARTITIONS,
              ("appeal.answered",), "Answers accepted from the current assignee"),
        Topic("appeals.extension-requested.v1", 1, "appeal_id", _PARTITIONS,
              ("appeal.extension_requested",), "Extension requests for the deadline tracker"),
        Topic("appeals.deadlines.v1", 1, "appeal_id", _PARTITIONS,
              ("deadline.scheduled", "deadline.extended", "deadline.extension_refused",
               "deadline.approaching", "deadline.breached", "deadline.closed", "deadline.forwarding_breached",
               "deadline.extension_notice_late", "deadline.stopped"),
              "Deadline lifecycle"),
        Topic("appeals.inspections.v1", 1, "appeal_id", _PARTITIONS,
              ("inspection.answer_accepted", "inspection.answer_returned", "inspection.appeal_merged",
               "inspection.appeal_unmerged", "inspection.answer_shared"),
              "Inspectors' verdicts on answers, merges of duplicates, answers shared with merged duplicates"),
        *(Topic(outbound_topic(channel), 1, "appeal_id", _PARTITIONS, ("notification.outbound",),
                f"Replies for the {channel} channel's adapter to post (only that adapter's principal reads it)")
          for channel in REPLY_CHANNELS),
        Topic("notifications.delivery.v1", 1, "appeal_id", _PARTITIONS,
              ("notification.delivered", "notification.delivery_failed"),
              "Delivery results, for audit"),
    )
}


def dead_letter_topic(topic: str, service: str) -> str:
    """Name of the dead-letter topic where ``service`` parks records of ``topic`` it cannot process."""
    return f"{topic}.dlq.{service}"


def topic_for_event(event_type: str) -> Topic:
    """The topic an event type is published on."""
    for topic in TOPICS.values():
        if event_type in topic.event_types:
            return topic
    raise KeyError(f"no topic carries event type {event_type!r}")
