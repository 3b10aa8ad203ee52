"""Request and response bodies, as the OpenAPI document describes them.

Responses are built as plain dicts for speed; these models document them
(`responses=` in the routes) and check them in the tests.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

Finite = Annotated[float, Field(allow_inf_nan=False)]
PropertyValues = list[str] | str


class EntityExample(BaseModel):
    """A yente query: a FollowTheMoney entity with the facts known about the party."""

    model_config = ConfigDict(populate_by_name=True, json_schema_extra={
        "example": {"schema": "Person", "properties": {"name": ["Nemesio Oseguera Cervantes"], "birthDate": ["1966"]}}
    })
    id: str | None = None
    schema_: str = Field(default="LegalEntity", alias="schema", max_length=100)
    properties: dict[str, PropertyValues] = Field(default_factory=dict)


class MatchRequest(BaseModel):
    queries: dict[str, EntityExample]
    weights: dict[str, Finite] = Field(default_factory=dict)
    config: dict[str, Any] = Field(default_factory=dict)


class Total(BaseModel):
    value: int
    relation: str = "eq"


class EntityResponse(BaseModel):
    id: str
    caption: str
    schema_: str = Field(alias="schema")
    properties: dict[str, list[Any]]
    datasets: list[str]
    referents: list[str]
    target: bool
    first_seen: str | None = None
    last_seen: str | None = None
    last_change: str | None = None


class ScoredEntityResponse(EntityResponse):
    score: float
    match: bool
    features: dict[str, float]
    explanations: dict[str, dict[str, Any]]
    token: str | None = None


class EntityMatches(BaseModel):
    status: int = 200
    results: list[ScoredEntityResponse]
    total: Total
    query: dict[str, Any]


class MatchResponse(BaseModel):
    responses: dict[str, EntityMatches]
    matcher: dict[str, Any]
    limit: int


class SearchResponse(BaseModel):
    results: list[EntityResponse]
    total: Total
    limit: int
    offset: int
    facets: dict[str, Any] = Field(default_factory=dict)


class ScreenQuery(BaseModel):
    name: str = Field(min_length=1, max_length=500)
    schema_: str | None = Field(default=None, alias="schema")
    dob: list[str] | str | None = None
    country: list[str] | str | None = None
    id_number: list[str] | str | None = None
    gender: str | None = Field(default=None, max_length=20)
    reference: str | None = Field(default=None, min_length=1, max_length=200,
                                  description="Customer reference: matches open alerts for it")


class ScreenRequest(BaseModel):
    """One name (`name` ...) or many (`queries`), with shared options."""

    model_config = ConfigDict(populate_by_name=True, json_schema_extra={
        "example": {"queries": [{"name": "Nemesio Oseguera", "dob": "1966", "country": "mx",
                                 "reference": "CUST-0001"}], "limit": 5}
    })
    name: str | None = Field(default=None, min_length=1, max_length=500)
    schema_: str | None = Field(default=None, alias="schema")
    dob: list[str] | str | None = None
    country: list[str] | str | None = None
    id_number: list[str] | str | None = None
    gender: str | None = Field(default=None, max_length=20)
    reference: str | None = Field(default=None, min_length=1, max_length=200,
                                  description="Customer reference of `name`: matches open alerts for it")
    queries: list[ScreenQuery] | None = None
    datasets: list[str] | None = None
    limit: int = Field(default=10, ge=1, le=100)
    threshold: Finite | None = Field(default=None, ge=0.0, le=1.0)
    weights: dict[str, Finite] = Field(default_factory=dict)


class TextRequest(BaseModel):
    text: str = Field(max_length=500_000)
    threshold: Finite | None = Field(default=None, ge=0.0, le=1.0)


class ErrorResponse(BaseModel):
    status: int
    detail: str
