"""The rules of merging a duplicate into its original, and of undoing it: each refusal is a
reason (``why``, a code the HTTP and console layers map to a status, and the sentence that
explains it). Pure."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Why = Literal["into_itself", "unknown", "not_held", "not_linked", "not_open", "original_not_open",
              "other_category", "not_merged", "original_answered"]


@dataclass(frozen=True)
class Side:
    """What the rules read of an appeal."""

    status: str
    executor_code: str | None
    category: str | None


@dataclass(frozen=True)
class MergeRefusal:
    why: Why
    reason: str


def merge_refusal(duplicate: Side | None, into: Side | None, *, into_itself: bool, executor: str | None,
                  linked: bool) -> MergeRefusal | None:
    """Why ``duplicate`` may not be merged into ``into`` (None: it may). ``executor``: the
    executor's code when an executor merges (None for an inspector), who may merge only appeals
    it holds that the platform ``linked`` as possible duplicates: a merge stops the duplicate's
    clock, and an executor may not stop an overdue appeal's clock by merging it into any other."""
    if into_itself:
        return MergeRefusal("into_itself", "an appeal cannot be merged into itself")
    if duplicate is None or into is None:
        return MergeRefusal("unknown", "no such appeal")
    if executor is not None and not (duplicate.executor_code == into.executor_code == executor):
        return MergeRefusal("not_held", "an executor merges only appeals it holds")
    if executor is not None and not linked:
        return MergeRefusal("not_linked", "an executor merges only an appeal the platform linked as a possible "
                                          "duplicate of the original; ask an inspector for any other merge")
    if duplicate.status != "open":
        return MergeRefusal("not_open", f"only an open appeal can be merged (this one is {duplicate.status})")
    if into.status != "open":
        return MergeRefusal("original_not_open", f"the original must be open, not {into.status}")
    if duplicate.category != into.category:
        return MergeRefusal("other_category", "a duplicate has its original's category")
    return None


def unmerge_refusal(duplicate: Side | None, original: Side | None, *, executor: str | None) -> MergeRefusal | None:
    """Why a merge may not be undone (None: it may): only a merged appeal, by an executor only
    its own, and only before the original is answered (its answer went to this citizen too)."""
    if duplicate is None:
        return MergeRefusal("unknown", "no such appeal")
    if duplicate.status != "merged":
        return MergeRefusal("not_merged", "the appeal is not merged")
    if executor is not None and duplicate.executor_code != executor:
        return MergeRefusal("not_held", "an executor unmerges only appeals it holds")
    if original is not None and original.status != "open":
        return MergeRefusal("original_answered", "the original was answered already: its answer went to this "
                                                 "citizen too")
    return None
