"""Ongoing monitoring: re-screen registered customers when a list changes.

Only the parties a list update added or changed can produce a new hit, so a
run builds a small matcher over just those and passes every customer through
it; 100,000 customers against a delta of 50 parties costs a fraction of a full
re-screen. New hits open alerts (the allow-list still applies) and subscribers
are owed one signed webhook per event, queued in the outbox with the run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, delete, func, insert, select, update

from tamiz.audit import AuditLog
from tamiz.cases.alerts import Alert, CaseError
from tamiz.cases.manager import CaseManager
from tamiz.cases.tables import MonitoredCustomer, MonitorRunRow
from tamiz.cases.webhooks import Delivery, Webhooks
from tamiz.model import SCHEMAS, Entity
from tamiz.store.engine import write_connection

PAGE = 5000


@dataclass(slots=True)
class Customer:
    reference: str
    name: str
    schema: str = "Person"
    dob: str | None = None
    country: str | None = None
    id_number: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def query(self) -> dict[str, Any]:
        """The screening query as recorded on alerts and in the audit log."""
        out: dict[str, Any] = {"name": self.name, "schema": self.schema}
        if self.dob:
            out["birth_dates"] = [self.dob]
        if self.country:
            out["countries"] = [self.country]
        if self.id_number:
            out["identifiers"] = [self.id_number]
        return out


# Given the delta's entities and the threshold, return a function screening one customer.
Searcher = Callable[[Customer], Sequence[Any]]
ScreenFn = Callable[[Sequence[Entity], float], Searcher]


def matcher_screen(entities: Sequence[Entity], threshold: float, limit: int = 10) -> Searcher:
    """The default: tamiz's own matcher, built over the delta's parties only."""
    from tamiz.match import Matcher, Query

    matcher = Matcher.build(list(entities))

    def search(customer: Customer) -> Sequence[Any]:
        q = customer.query()
        return matcher.search(Query(name=q["name"], schema=q["schema"], birth_dates=q.get("birth_dates", []),
                                    countries=q.get("countries", []), identifiers=q.get("identifiers", [])),
                              limit=limit, threshold=threshold)

    return search


@dataclass(slots=True)
class MonitorRun:
    id: int
    started_at: datetime
    finished_at: datetime
    delta_entities: int
    customers: int
    hits: int
    alerts: list[Alert]  # newly opened
    suppressed: list[Alert]
    already_open: list[Alert]
    deliveries: list[Delivery]  # queued by this run; see Webhooks.deliver_pending
    list_versions: dict[str, Any]

    @property
    def seconds(self) -> float:
        return (self.finished_at - self.started_at).total_seconds()


def delta_entities(delta: Any) -> list[Entity]:
    """Added and changed parties of a `tamiz.store.Delta`, or a plain list of entities, once each."""
    if hasattr(delta, "added") and hasattr(delta, "changed"):
        items: Iterable[Entity] = [*delta.added, *(c.new for c in delta.changed)]
    else:
        items = delta
    seen: dict[str, Entity] = {}
    for entity in items:
        seen[entity.id] = entity
    return list(seen.values())


def _score(hit: Any) -> float:
    return float(hit["score"] if isinstance(hit, Mapping) else hit.score)


def _customer(data: Mapping[str, Any]) -> dict[str, Any]:
    ref = str(data.get("reference") or "").strip()
    name = str(data.get("name") or "").strip()
    if not ref or not name:
        raise CaseError(f"a monitored customer needs a reference and a name: {dict(data)!r}")
    schema = data.get("schema") or "Person"
    if schema not in SCHEMAS:
        raise CaseError(f"customer {ref}: schema {schema!r} is not one of {', '.join(SCHEMAS)}")
    known = {"reference", "name", "schema", "dob", "country", "id_number", "extra"}
    extra = dict(data.get("extra") or {})
    extra.update({k: v for k, v in data.items() if k not in known and v not in (None, "")})
    return {"reference": ref, "name": name, "schema": schema, "dob": data.get("dob") or None,
            "country": data.get("country") or None, "id_number": data.get("id_number") or None, "extra": extra}


class Monitor:
    def __init__(self, engine: Engine, cases: CaseManager, audit: AuditLog, webhooks: Webhooks | None = None):
        self.engine = engine
        self.cases = cases
        self.audit = audit
        self.webhooks = webhooks if webhooks is not None else Webhooks(engine)

    # -- the customer register -----------------------------------------------------

    def add(self, reference: str, name: str, schema: str = "Person", dob: str | None = None,
            country: str | None = None, id_number: str | None = None, extra: dict[str, Any] | None = None) -> None:
        self.add_many([{"reference": reference, "name": name, "schema": schema, "dob": dob, "country": country,
                        "id_number": id_number, "extra": extra or {}}])

    def add_many(self, customers: Iterable[Mapping[str, Any]], actor: str = "system", chunk: int = 2000) -> int:
        """Register (or update) customers; returns how many. Later rows win over earlier ones."""
        total = 0
        batch: dict[str, dict[str, Any]] = {}
        for data in customers:
            row = _customer(data)
            batch[row["reference"]] = row
            if len(batch) >= chunk:
                total += self._upsert(list(batch.values()))
                batch = {}
        if batch:
            total += self._upsert(list(batch.values()))
        self.audit.record("monitor", actor, {"action": "customers_added", "count": total})
        return total

    def _upsert(self, rows: list[dict[str, Any]]) -> int:
        now = datetime.now(UTC)
        with self.engine.begin() as conn:
            conn.execute(delete(MonitoredCustomer).where(MonitoredCustomer.reference.in_([r["reference"] for r in rows])))
            conn.execute(insert(MonitoredCustomer), [{**r, "added_at": now} for r in rows])
        return len(rows)

    def remove(self, reference: str, actor: str = "system") -> bool:
        with self.engine.begin() as conn:
            gone = conn.execute(delete(MonitoredCustomer).where(MonitoredCustomer.reference == reference)).rowcount
        if gone:
            self.audit.record("monitor", actor, {"action": "customer_removed", "reference": reference})
        return bool(gone)

    def get(self, reference: str) -> Customer | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(MonitoredCustomer).where(MonitoredCustomer.reference == reference)).first()
        return self._from_row(row) if row else None

    def list(self, limit: int | None = None) -> list[Customer]:
        out: list[Customer] = []
        for c in self._iter():
            out.append(c)
            if limit and len(out) >= limit:
                break
        return out

    def count(self) -> int:
        with self.engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(MonitoredCustomer)).scalar_one()

    def _iter(self) -> Iterator[Customer]:
        after = ""
        while True:
            with self.engine.connect() as conn:
                rows = conn.execute(select(MonitoredCustomer).where(MonitoredCustomer.reference > after)
                                    .order_by(MonitoredCustomer.reference).limit(PAGE)).all()
            yield from (self._from_row(r) for r in rows)
            if len(rows) < PAGE:
                return
            after = rows[-1].reference

    def recent_runs(self, limit: int = 5) -> list[dict[str, Any]]:
        """The last finished runs, newest first: what the analyst's pages announce."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(MonitorRunRow).where(MonitorRunRow.finished_at.is_not(None))
                                .order_by(MonitorRunRow.id.desc()).limit(limit)).all()
        return [{"id": r.id, "started_at": r.started_at, "finished_at": r.finished_at,
                 "list_versions": dict(r.list_versions or {}), "delta_entities": r.delta_entities,
                 "customers": r.customers, "alerts_opened": r.alerts_opened, "suppressed": r.suppressed}
                for r in rows]

    @staticmethod
    def _from_row(r: Any) -> Customer:
        return Customer(r.reference, r.name, r.schema, r.dob, r.country, r.id_number, dict(r.extra or {}))

    # -- re-screening --------------------------------------------------------------

    def run(self, delta: Any, screen_fn: ScreenFn | None = None, *, list_versions: dict[str, Any] | None = None,
            threshold: float | None = None, actor: str = "monitor") -> MonitorRun:
        """Re-screen every customer against the delta's added and changed parties only."""
        entities = delta_entities(delta)
        cut = self.cases.threshold if threshold is None else threshold
        if list_versions is None:
            list_versions = {delta.dataset: delta.to_version} if getattr(delta, "dataset", "") else {}
        started = datetime.now(UTC)
        with self.engine.begin() as conn:
            run_id = conn.execute(insert(MonitorRunRow).values(
                started_at=started, delta_entities=len(entities), list_versions=list_versions,
            )).inserted_primary_key[0]
        opened: list[Alert] = []
        suppressed: list[Alert] = []
        already: list[Alert] = []
        customers = hits = 0
        search = (screen_fn or matcher_screen)(entities, cut) if entities else None
        for customer in self._iter() if search else ():
            customers += 1
            found = [h for h in search(customer) if _score(h) >= cut]
            if not found:
                continue
            hits += len(found)
            for alert in self.cases.open_alerts(customer.reference, customer.query(), found, list_versions,
                                                threshold=cut, actor=actor):
                (opened if alert.new else suppressed if alert.suppressed else already).append(alert)
        finished = datetime.now(UTC)
        summary = {"run_id": run_id, "list_versions": list_versions, "delta_entities": [e.id for e in entities],
                   "customers": customers, "hits": hits, "alerts_opened": [a.id for a in opened],
                   "suppressed": [[a.reference, a.entity_id] for a in suppressed], "threshold": cut}
        deliveries: list[Delivery] = []
        # The run's totals and the webhooks it owes commit together; sending them is someone else's job
        # (`Webhooks.deliver_pending`), so a dead endpoint cannot hold the run.
        with write_connection(self.engine) as conn, conn.begin():
            conn.execute(update(MonitorRunRow).where(MonitorRunRow.id == run_id).values(
                finished_at=finished, customers=customers, hits=hits, alerts_opened=len(opened),
                suppressed=len(suppressed)))
            if opened:
                deliveries += self.webhooks.enqueue("alerts.opened", {
                    "run_id": run_id, "list_versions": list_versions,
                    "alerts": [{"alert_id": a.id, "reference": a.reference, "entity_id": a.entity_id,
                                "caption": a.caption, "score": a.score, "reopened": a.reopened,
                                "explanation": a.hit.get("explanation", "")} for a in opened]}, conn)
            deliveries += self.webhooks.enqueue("monitor.completed", summary, conn)
        self.audit.record("monitor", actor, {"action": "run", **summary})
        return MonitorRun(run_id, started, finished, len(entities), customers, hits, opened, suppressed, already,
                          deliveries, list_versions)
