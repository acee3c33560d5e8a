"""The audit log (SPEC §7): one entry per successful write, never updated, never deleted
with what it names.

* ``service.record(auth=…, operation=…, object_ids=…, at=…)`` stores who (the token's id and
  name, and the contact for a personal token), what (the mutation and the global ids of the
  objects it named or returned) and when. ``resolvers.AuditField`` calls it after every
  Mutation field that succeeded, in its own short transaction.
* ``service.entries(org_id=…, filter=…)`` reads them newest first; ``auditLog(filter,
  first, after)`` serves them to ADMIN tokens.

Entries hold ids and names as values (no foreign keys to what they name), so deleting a
contact, a schedule or a token leaves its entries as they were.
"""
