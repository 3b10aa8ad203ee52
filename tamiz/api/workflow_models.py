"""Request bodies of the compliance workflow endpoints (alerts, policy, monitoring, lists)."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Decision = Literal["true_match", "false_positive", "escalate"]


class DecisionRequest(BaseModel):
    model_config = ConfigDict(json_schema_extra={"example": {
        "decision": "false_positive", "reason": "Different date of birth and nationality",
        "allow_list": True, "expires": "2030-01-01"}})
    decision: Decision
    reason: str = Field(min_length=1, max_length=4000)
    allow_list: bool = False
    expires: date | None = None


class ReviewRequest(BaseModel):
    reason: str = Field(default="", max_length=4000)


class PolicyRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"example": {"four_eyes": True}})
    four_eyes: bool = Field(description="A false-positive clearance closes only once a different person approves it")


class CustomerIn(BaseModel):
    model_config = ConfigDict(populate_by_name=True, json_schema_extra={"example": {
        "reference": "CUST-0001", "name": "Maria Lopez Garcia", "schema": "Person", "dob": "1980-04-02",
        "country": "mx"}})
    reference: str = Field(min_length=1, max_length=200)
    name: str = Field(min_length=1, max_length=500)
    schema_: str = Field(default="Person", alias="schema", max_length=40)
    dob: str | None = Field(default=None, max_length=40)
    country: str | None = Field(default=None, max_length=100)
    id_number: str | None = Field(default=None, max_length=200)
    extra: dict[str, Any] = Field(default_factory=dict)

    def record(self) -> dict[str, Any]:
        return {"reference": self.reference, "name": self.name, "schema": self.schema_, "dob": self.dob,
                "country": self.country, "id_number": self.id_number, "extra": self.extra}


class CustomersIn(BaseModel):
    customers: list[CustomerIn] = Field(max_length=10_000)


class WebhookRequest(BaseModel):
    url: str = Field(max_length=2000)
    secret: str = Field(min_length=16, max_length=500)
    events: list[str] | None = None


class UpdateRequest(BaseModel):
    datasets: list[str] | None = None
    force: bool = False


class MonitorRunRequest(BaseModel):
    datasets: list[str] | None = None
