"""The GraphQL schema: every domain's Query and Mutation mixins composed in one place."""

from __future__ import annotations

import strawberry
from graphql.error import GraphQLError
from strawberry.extensions import (
    AddValidationRules,
    MaxTokensLimiter,
    ParserCache,
    ValidationCache,
)
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext

from app.api.errors import ErrorShaping
from app.api.limits import document_limits
from app.api.node import NodeQuery
from app.api.scalars import SCALARS
from app.auth.resolvers import AuthMutation, AuthQuery
from app.calendars.resolvers import CalendarMutation, CalendarQuery
from app.contacts.resolvers import ContactMutation, ContactQuery
from app.destinations.resolvers import (
    DestinationMutation,
    DestinationQuery,
    DestinationSubscription,
)
from app.errors import AppError
from app.groups.resolvers import GroupMutation, GroupQuery
from app.imports.resolvers import ImportMutation
from app.layers.resolvers import LayerMutation, LayerQuery
from app.on_demand_shifts.resolvers import OnDemandShiftMutation, OnDemandShiftQuery
from app.schedules.resolvers import ScheduleMutation, ScheduleQuery
from app.settings import Settings
from app.substitutions.resolvers import SubstitutionMutation, SubstitutionQuery
from app.tiers.resolvers import TierMutation, TierQuery
from app.timelines.resolvers import TimelineMutation, TimelineQuery


@strawberry.type(description="Reads. Every list is scoped to the caller's organization.")
class Query(
    NodeQuery,
    AuthQuery,
    ContactQuery,
    GroupQuery,
    ScheduleQuery,
    TierQuery,
    LayerQuery,
    SubstitutionQuery,
    OnDemandShiftQuery,
    TimelineQuery,
    DestinationQuery,
    CalendarQuery,
):
    pass


@strawberry.type(
    description="Writes. Each runs in one transaction: on any error nothing is written."
)
class Mutation(
    AuthMutation,
    ContactMutation,
    GroupMutation,
    ScheduleMutation,
    TierMutation,
    LayerMutation,
    SubstitutionMutation,
    OnDemandShiftMutation,
    TimelineMutation,
    DestinationMutation,
    CalendarMutation,
    ImportMutation,
):
    pass


@strawberry.type(description="Live events over WebSocket (graphql-transport-ws or graphql-ws).")
class Subscription(DestinationSubscription):
    pass


class RotagraphSchema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        # Expected errors are the client's business; unexpected ones are logged when masked.
        return None


def build_schema(settings: Settings | None = None) -> strawberry.Schema:
    settings = settings or Settings()
    # The limit rule is built once: ValidationCache keys on the rule classes, so building
    # it per request (as the stock factories do) would make every request miss the cache.
    limits = [document_limits(settings.max_query_depth, settings.max_aliases)]
    return RotagraphSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        config=StrawberryConfig(scalar_map=SCALARS),
        extensions=[
            lambda: AddValidationRules(limits),
            lambda: MaxTokensLimiter(max_token_count=settings.max_tokens),
            ParserCache,
            ValidationCache,
            ErrorShaping,
        ],
    )


__all__ = ["AppError", "Mutation", "Query", "build_schema"]
