from tortoise import fields
from tortoise.models import Model


class JobRow(Model):
    """A unit of background work and its lease.

    Periodic work has one row per (kind, time slot), so several processes never run the
    same slot twice. Keyed work (an export of one destination) keeps one row per key that
    goes QUEUED -> RUNNING -> DONE, so one key never runs in two places at once. A RUNNING
    row whose lease expired belongs to a crashed worker and may be taken over.
    """

    id = fields.IntField(primary_key=True)
    kind = fields.CharField(max_length=40)
    key = fields.CharField(max_length=100, default="")
    run_at = fields.DatetimeField()
    status = fields.CharField(max_length=8, default="QUEUED")
    owner = fields.CharField(max_length=100, null=True)
    lease_until = fields.DatetimeField(null=True)
    attempts = fields.IntField(default=0)
    rerun = fields.BooleanField(default=False)
    last_error = fields.TextField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "job"
        unique_together = (("kind", "key", "run_at"),)
        indexes = (("status", "run_at"),)
