"""People: personal tokens, personal links with one-time sign-in codes, and ``me`` (SPEC §11).

Public API
- ``service.create_personal_token(org_id, contact_id, name)`` -> (token, secret): a PERSON
  token bound to a contact of the organization; the secret is returned once.
- ``service.personal_tokens(org_id, contact_id)``: a contact's personal tokens, revoked ones
  included, oldest first.
- ``service.create_sign_in_code(org_id, contact_id, now)`` -> (row, code): a one-time code
  valid ``SIGN_IN_CODE_TTL`` (15 minutes); only its hash is stored.
- ``service.exchange_code(code, now)`` -> (token, secret): spends the code (once, even when
  two exchanges race: a compare-and-set on ``used_at`` decides) and creates a new PERSON token
  for the code's contact. An unknown, used or expired code is UNAUTHENTICATED and writes
  nothing.
- ``signin.exchange``: ``POST /sign-in`` with ``{"code": "..."}``, the one route besides
  feeds, health and static pages that needs no token (SPEC §7).

Rules the rest of the app relies on
- A PERSON token reads like a VIEWER (``Role.PERSON`` ranks with VIEWER, so every EDITOR
  check refuses it). Where a PERSON may write (its own cover requests and offers,
  unavailability substitutions for itself, its calendar connections), the resolver passes an
  ``app.auth.roles.Actor`` whose ``contact_id`` the service checks: acting for another
  contact is FORBIDDEN and writes nothing.
- Deleting a contact deletes its personal tokens and codes (foreign keys CASCADE).
"""
