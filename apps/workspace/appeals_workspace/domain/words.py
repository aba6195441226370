"""The workspace's words (``texts.yaml``) in one language, and routing's refusals put into them. Pure."""

from __future__ import annotations

from appeals_runtime.i18n import Texts, catalogue

#: Routing's refusals (its English sentences) by how they begin, and the words the page uses.
_REFUSALS = (
    ("the appeal is closed", "refused_closed"),
    ("the appeal was merged", "refused_merged"),
    ("the appeal is assigned to", "refused_elsewhere"),
    ("the appeal is not routed", "refused_elsewhere"),
    ("unknown appeal", "refused_elsewhere"),
    ("the appeal is already with the triage desk", "refused_triage"),
    ("only the organisation's head", "refused_not_head"),
    ("that employee of the executor is not known", "refused_unknown_employee"),
    ("an extension request needs a reason", "refused_reason_needed"),
    ("a reassignment request needs a reason", "refused_reason_needed"),
    ("answer text must be", "refused_text"),
    ("the signed action", "refused_clock"),
    ("the action was signed", "refused_clock"),
    ("no signing key", "refused_key"),
    ("the signature does not verify", "refused_key"),
)


def texts(language: str) -> Texts:
    return Texts(language, catalogue("appeals_workspace.domain"))


def refusal(t: Texts, reason: str) -> str:
    """Routing's reason in the page's words; one it has no words for, as routing said it."""
    for start, key in _REFUSALS:
        if reason.startswith(start):
            return t(key)
    return t("refused_other", reason=reason)
