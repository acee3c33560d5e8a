"""The GraphQL schema: every domain's Query and Mutation mixins composed in one place."""

from __future__ import annotations

import asyncio
from typing import Any

import strawberry
from graphql import ASTValidationRule, get_operation_ast
from graphql import ExecutionResult as GraphQLExecutionResult
from graphql.error import GraphQLError
from strawberry.extensions import (
    AddValidationRules,
    MaxTokensLimiter,
    ParserCache,
    ValidationCache,
)
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext
from strawberry.types.execution import PreExecutionError
from strawberry.types.graphql import OperationType

from app.api import cost, plain
from app.api.errors import ErrorShaping
from app.api.execution import SharingExecutionContext
from app.api.limits import document_limits, nul_fields
from app.api.node import NodeQuery
from app.api.scalars import SCALARS
from app.audit.resolvers import AuditField, AuditQuery
from app.auth.resolvers import AuthMutation, AuthQuery
from app.calendars.resolvers import CalendarMutation, CalendarQuery
from app.contacts.resolvers import ContactMutation, ContactQuery
from app.cover_requests.resolvers import (
    CoverRequestMutation,
    CoverRequestQuery,
    CoverRequestSubscription,
)
from app.destinations.resolvers import (
    DestinationMutation,
    DestinationQuery,
    DestinationSubscription,
)
from app.errors import AppError
from app.groups.resolvers import GroupMutation, GroupQuery
from app.imports.resolvers import ImportMutation
from app.layers.resolvers import LayerMutation, LayerQuery
from app.ledger.resolvers import LedgerMutation, LedgerQuery
from app.notifications.resolvers import (
    NotificationMutation,
    NotificationQuery,
    NotificationSubscription,
)
from app.on_demand_shifts.resolvers import OnDemandShiftMutation, OnDemandShiftQuery
from app.people.resolvers import PeopleMutation, PeopleQuery
from app.schedules.resolvers import ScheduleMutation, ScheduleQuery
from app.settings import Settings
from app.substitutions.resolvers import SubstitutionMutation, SubstitutionQuery
from app.tiers.resolvers import TierMutation, TierQuery
from app.timelines.resolvers import TimelineMutation, TimelineQuery


@strawberry.type(description="Reads. Every list is scoped to the caller's organization.")
class Query(
    NodeQuery,
    AuthQuery,
    PeopleQuery,
    ContactQuery,
    GroupQuery,
    ScheduleQuery,
    TierQuery,
    LayerQuery,
    SubstitutionQuery,
    CoverRequestQuery,
    OnDemandShiftQuery,
    TimelineQuery,
    DestinationQuery,
    CalendarQuery,
    AuditQuery,
    NotificationQuery,
    LedgerQuery,
):
    pass


@strawberry.type(
    description="Writes. Each runs in one transaction: on any error nothing is written."
)
class Mutation(
    AuthMutation,
    PeopleMutation,
    ContactMutation,
    GroupMutation,
    ScheduleMutation,
    TierMutation,
    LayerMutation,
    SubstitutionMutation,
    CoverRequestMutation,
    OnDemandShiftMutation,
    TimelineMutation,
    DestinationMutation,
    CalendarMutation,
    ImportMutation,
    NotificationMutation,
    LedgerMutation,
):
    pass


@strawberry.type(description="Live events over WebSocket (graphql-transport-ws or graphql-ws).")
class Subscription(DestinationSubscription, CoverRequestSubscription, NotificationSubscription):
    pass


class RotagraphSchema(strawberry.Schema):
    """The schema with the request budget: the cost model checked after validation and
    before anything runs, and a time limit on queries. (Both hook Strawberry 0.341's
    operation steps; the version is pinned.)"""

    settings: Settings

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        # Expected errors are the client's business; unexpected ones are logged when masked.
        return None

    async def _prepare_operation_async(
        self, context: ExecutionContext, extensions_runner: Any
    ) -> PreExecutionError | None:
        refused = await super()._prepare_operation_async(context, extensions_runner)
        if refused is not None or context.graphql_document is None:
            return refused
        operation = get_operation_ast(context.graphql_document, context.operation_name)
        if operation is None:
            return None
        if fields := nul_fields(context.graphql_document, context.variables):
            nul = GraphQLError(
                f"{', '.join(fields)}: a string must not contain a NUL character (U+0000)",
                extensions={"code": "BAD_USER_INPUT", "fields": fields},
            )
            context.pre_execution_errors = [nul]
            return PreExecutionError(data=None, errors=[nul])
        limits = cost.Limits(
            max_window_days=self.settings.max_window_days,
            page_default=min(100, self.settings.page_size_cap),
        )
        spent = cost.operation_cost(
            self._schema, context.graphql_document, operation, context.variables, limits
        )
        if spent <= self.settings.max_query_cost:
            return None
        error = GraphQLError(
            f"the query costs {spent:,.0f} tier-days, more than the limit of "
            f"{self.settings.max_query_cost:,} (MAX_QUERY_COST): ask for fewer aliases, "
            "tiers, pages or days",
            extensions={
                "code": "BAD_USER_INPUT",
                "cost": round(spent),
                "limit": self.settings.max_query_cost,
            },
        )
        context.pre_execution_errors = [error]
        return PreExecutionError(data=None, errors=[error])

    async def _execute_operation(  # type: ignore[override]
        self, execution_context: ExecutionContext, *args: Any, **kwargs: Any
    ) -> Any:
        run = super()._execute_operation(execution_context, *args, **kwargs)
        if execution_context.operation_type == OperationType.MUTATION:
            return await run  # a write is never cut short: it commits or rolls back whole
        seconds = self.settings.execution_seconds
        try:
            async with asyncio.timeout(seconds):
                return await run
        except TimeoutError:
            error = GraphQLError(
                f"the query ran longer than {seconds:g} seconds (EXECUTION_SECONDS) and was "
                "stopped: ask for fewer aliases, tiers, pages or days",
                extensions={"code": "BAD_USER_INPUT"},
            )
            return GraphQLExecutionResult(data=None, errors=[error])


def _audit_every_write() -> None:
    """Every Mutation field records its successful writes in the audit log."""
    for field in Mutation.__strawberry_definition__.fields:  # type: ignore[attr-defined]
        if not any(isinstance(e, AuditField) for e in field.extensions):
            field.extensions.append(AuditField())


def build_schema(settings: Settings | None = None) -> strawberry.Schema:
    settings = settings or Settings()
    _audit_every_write()
    # The limit rule is built once: ValidationCache keys on the rule classes, so building
    # it per request (as the stock factories do) would make every request miss the cache.
    limits: list[type[ASTValidationRule]] = [
        document_limits(settings.max_query_depth, settings.max_aliases)
    ]
    schema = RotagraphSchema(
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
        execution_context_class=SharingExecutionContext,
    )
    schema.settings = settings
    plain.install(schema._schema)
    return schema


__all__ = ["AppError", "Mutation", "Query", "build_schema"]
