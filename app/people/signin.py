"""``POST /sign-in``: a personal link's one-time code exchanged for a PERSON token.

The one GraphQL-free write that needs no token (SPEC §7): the code is the credential. The
answer carries the token's secret, which the schedule page keeps for the tab only.
"""

from __future__ import annotations

import json

from starlette.requests import Request
from starlette.responses import JSONResponse

from app.audit import service as audit_service
from app.auth.roles import Role
from app.auth.service import Auth
from app.db import transaction
from app.errors import AppError, BadUserInput, Unauthenticated
from app.ids import encode_id
from app.people import service

MAX_BODY = 4096
AUDIT_OPERATION = "signInWithCode"
"""How the audit log names an exchange (it is no mutation, but a write by a personal link)."""


def _error(error: AppError) -> JSONResponse:
    status = 401 if isinstance(error, Unauthenticated) else 400
    return JSONResponse(
        {"errors": [{"message": error.message, "extensions": error.extensions}]},
        status_code=status,
        headers={"Cache-Control": "no-store"},
    )


async def exchange(request: Request) -> JSONResponse:
    body = await request.body()
    try:
        if len(body) > MAX_BODY:
            raise BadUserInput(f"the body must be at most {MAX_BODY} bytes", field="code")
        try:
            data = json.loads(body or b"null")
        except ValueError:
            data = None
        code = data.get("code") if isinstance(data, dict) else None
        if not isinstance(code, str):
            raise BadUserInput('send a JSON object {"code": "..."}', field="code")
        now = request.app.state.clock.now()
        async with transaction():
            token, secret = await service.exchange_code(code=code, now=now)
            assert token.contact_id is not None
            await audit_service.record(
                auth=Auth(
                    org_id=token.organization_id,
                    role=Role.PERSON,
                    token_id=token.id,
                    contact_id=token.contact_id,
                ),
                operation=AUDIT_OPERATION,
                object_ids=[
                    encode_id("ApiToken", token.id),
                    encode_id("Contact", token.contact_id),
                ],
                at=now,
            )
    except AppError as exc:
        return _error(exc)
    assert token.contact_id is not None
    return JSONResponse(
        {
            "token": secret,
            "tokenId": encode_id("ApiToken", token.id),
            "contactId": encode_id("Contact", token.contact_id),
        },
        headers={"Cache-Control": "no-store"},
    )
