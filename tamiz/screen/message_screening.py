"""Screen parsed payment messages: every named party, and every free-text field.

A party is screened with its name plus whatever the message says about it
(country, date of birth, BIC and other identifiers), so evidence from the
message can raise or lower the score. Free text (remittance information,
bank-to-bank notes) is screened for names mentioned inside it. A message that
could not be parsed is reported as an error, never as "no hit".
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from tamiz.screen.messages.model import Party, PaymentMessage, TextField

# Party kind -> screener schema. A message's word that a party is an organisation
# is weak (a wrong OrgId must not hide a listed person), so organisations and
# banks are screened as LegalEntity, which still meets listed persons; only
# "person" (stated by PrvtId or a date of birth) narrows to Person.
_SCHEMAS = {"person": "Person", "organization": "LegalEntity", "institution": "LegalEntity"}
# Identifiers worth comparing with listed ones; account numbers never are listed.
_SCREENED_IDS = ("bic", "lei", "org_id", "private_id", "national_id", "passport", "tax_id", "customer_id", "party_id")


class _Hit(Protocol):
    id: str
    schema: str
    caption: str
    score: float
    match: bool
    datasets: list[str]
    explanation: str


class _Screener(Protocol):
    def screen(self, name: str, schema: str | None = ..., dob: Any = ..., country: Any = ...,
               id_number: Any = ..., limit: int = ..., threshold: float | None = ...) -> Any: ...


@dataclass(slots=True)
class MessageHit:
    path: str  # field the hit came from, e.g. "MT103/4/:59:"
    role: str  # party role, or the text field's label
    source: str  # "party" | "text"
    query: str  # the party name, or the words of the text that matched
    entity_id: str
    caption: str
    schema: str
    score: float
    datasets: list[str]
    explanation: str
    text: str | None = None  # the whole free-text field, for text hits

    def to_dict(self) -> dict[str, Any]:
        out = {
            "path": self.path,
            "role": self.role,
            "source": self.source,
            ("party_name" if self.source == "party" else "matched_text"): self.query,
            "entity_id": self.entity_id,
            "caption": self.caption,
            "schema": self.schema,
            "score": self.score,
            "datasets": self.datasets,
            "explanation": self.explanation,
        }
        if self.text is not None:
            out["text"] = self.text
        return out


@dataclass(slots=True)
class MessageResult:
    message: PaymentMessage
    hits: list[MessageHit] = field(default_factory=list)
    screened: list[str] = field(default_factory=list)  # paths screened
    skipped: list[str] = field(default_factory=list)  # paths not screened, with the reason

    @property
    def hit(self) -> bool:
        return bool(self.hits)

    @property
    def error(self) -> str | None:
        return self.message.error

    @property
    def status(self) -> str:
        """"error" (not screened: review by hand), "hit", or "clear"."""
        return "error" if self.error else ("hit" if self.hit else "clear")

    def summary(self) -> dict[str, Any]:
        return self.message.summary()

    def to_dict(self) -> dict[str, Any]:
        out = self.summary()
        out.update(status=self.status, hit=self.hit, hits=[h.to_dict() for h in self.hits])
        out["screened"] = self.screened
        if self.skipped:
            out["skipped"] = self.skipped
        if self.message.warnings:
            out["warnings"] = self.message.warnings
        if self.message.ack:
            out["ack"] = self.message.ack
        return out


def screen_messages(
    messages: Iterable[PaymentMessage], screener: _Screener, threshold: float | None = None, limit: int = 5
) -> list[MessageResult]:
    """Screen each message; the same party or text seen twice is screened once."""
    cache: dict[tuple, list[_Hit]] = {}
    results = [_screen_message(msg, screener, threshold, limit, cache) for msg in messages]
    if hasattr(screener, "record"):
        for r in results:  # one audit record per message: its parties, fields and hits
            screener.record("message", {
                "message": r.summary(),
                "list_versions": screener.list_versions(),
                "threshold": threshold,
                "screened": r.screened,
                "hits": [[h.path, h.entity_id, h.score] for h in r.hits],
            })
    return results


def _screen_message(
    msg: PaymentMessage, screener: _Screener, threshold: float | None, limit: int, cache: dict[tuple, list[_Hit]]
) -> MessageResult:
    result = MessageResult(message=msg)
    if msg.error:
        return result
    for party in msg.parties:
        if not party.name:
            result.skipped.append(f"{party.path} (no name" + (f", BIC {party.bic})" if party.bic else ")"))
            continue
        result.screened.append(party.path)
        for h in _screen_party(party, screener, threshold, limit, cache):
            result.hits.append(_hit(party.path, party.role, "party", party.name, h))
    for text in msg.texts:
        result.screened.append(text.path)
        for words, h in _screen_text(text, screener, threshold, cache):
            result.hits.append(_hit(text.path, text.label or "text", "text", words, h, text.text))
    result.hits.sort(key=lambda h: -h.score)
    return result


def _screen_party(party: Party, screener: _Screener, threshold: float | None, limit: int, cache: dict) -> list[_Hit]:
    ids = tuple(i.value for i in party.identifiers if i.type in _SCREENED_IDS)
    key = ("party", party.name, party.kind, party.country, party.birth_date, ids)
    if key not in cache:
        result = screener.screen(
            party.name,
            schema=_SCHEMAS.get(party.kind),
            dob=party.birth_date,
            country=party.country,
            id_number=list(ids) or None,
            limit=limit,
            threshold=threshold,
            audit=False,
        )
        cache[key] = [r for r in result.results if r.match]
    return cache[key]


def _screen_text(text: TextField, screener: _Screener, threshold: float | None, cache: dict) -> list[tuple[str, _Hit]]:
    key = ("text", text.text)
    if key not in cache:
        cache[key] = text_mentions(text.text, screener, threshold)
    return cache[key]


def text_mentions(text: str, screener: _Screener, threshold: float | None = None) -> list[tuple[str, _Hit]]:
    """(words as written, hit) for each listed party named in a free-text field."""
    from tamiz.screen.text import find_mentions

    return [(m.text, m) for m in find_mentions(text, screener, threshold, audit=False)]


def _hit(path: str, role: str, source: str, query: str, h: _Hit, text: str | None = None) -> MessageHit:
    return MessageHit(
        path=path,
        role=role,
        source=source,
        query=query,
        entity_id=h.id,
        caption=h.caption,
        schema=h.schema,
        score=round(float(h.score), 4),
        datasets=list(h.datasets),
        explanation=h.explanation,
        text=text,
    )


def messages_to_json(results: Sequence[MessageResult]) -> dict[str, Any]:
    """JSON for `tamiz message --json`: one entry per message found in the input files."""
    return {
        "summary": {
            "messages": len(results),
            "hits": sum(1 for r in results if r.status == "hit"),
            "errors": sum(1 for r in results if r.status == "error"),
            "clear": sum(1 for r in results if r.status == "clear"),
        },
        "messages": [r.to_dict() for r in results],
    }
