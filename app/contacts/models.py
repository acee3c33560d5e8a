from tortoise import fields
from tortoise.models import Model


class Contact(Model):
    id = fields.IntField(primary_key=True)
    organization: fields.ForeignKeyRelation["Organization"] = fields.ForeignKeyField(  # noqa: F821
        "models.Organization", related_name="contacts", on_delete=fields.CASCADE
    )
    organization_id: int
    name = fields.CharField(max_length=200)
    email = fields.CharField(max_length=320, null=True)
    phone = fields.CharField(max_length=40, null=True)
    timezone = fields.CharField(max_length=64, default="UTC")
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "contact"
