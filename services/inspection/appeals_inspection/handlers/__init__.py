"""Inspection's use cases as plain async functions over a unit of work, by what they serve:
keeping the read model from the appeal's events, the decisions people make (verdicts, merges),
the staff console's sign-in and session, and the report's figures; ``ports`` says what they
need of the world. Entrypoints call them as ``handlers.<use case>``."""

from appeals_inspection.handlers.decisions import Merged, Unmerged, VerdictGiven, decide, merge, unmerge
from appeals_inspection.handlers.events import FACT_EVENTS, HANDLED, on_event, on_events, registration_facts
from appeals_inspection.handlers.ports import (ConsoleSessions, Decider, IdentityProvider, MergeRefused, ReadModel,
                                               UnitOfWork)
from appeals_inspection.handlers.sessions import (SignedIn, SignInRefused, SignInStarted, begin_sign_in,
                                                  current_session, finish_sign_in, prefer_language, sign_out)

__all__ = ["FACT_EVENTS", "HANDLED", "ConsoleSessions", "Decider", "IdentityProvider", "MergeRefused", "Merged", "ReadModel",
           "SignInRefused", "SignInStarted", "SignedIn", "UnitOfWork", "Unmerged", "VerdictGiven", "begin_sign_in", "current_session", "decide",
           "finish_sign_in", "merge", "on_event", "on_events", "prefer_language", "registration_facts", "sign_out",
           "unmerge"]
