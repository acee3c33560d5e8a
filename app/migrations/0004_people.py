from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0003_destination_status_reason')]

    initial = False

    operations = [
        ops.CreateModel(
            name='CoverRequest',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name='cover_requests', on_delete=OnDelete.CASCADE)),
                ('schedule', fields.ForeignKeyField('models.Schedule', source_field='schedule_id', db_constraint=True, to_field='id', related_name='cover_requests', on_delete=OnDelete.CASCADE)),
                ('requester', fields.ForeignKeyField('models.Contact', source_field='requester_id', db_constraint=True, to_field='id', related_name='cover_requests', on_delete=OnDelete.CASCADE)),
                ('start', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('end', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('note', fields.CharField(default='', max_length=500)),
                ('status', fields.CharField(default='OPEN', max_length=10)),
                ('volunteer', fields.ForeignKeyField('models.Contact', source_field='volunteer_id', null=True, db_constraint=True, to_field='id', related_name='covering', on_delete=OnDelete.SET_NULL)),
                ('substitution', fields.ForeignKeyField('models.Substitution', source_field='substitution_id', null=True, db_constraint=True, to_field='id', related_name='cover_requests', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'cover_request', 'app': 'models', 'indexes': [Index(fields=['status', 'start']), Index(fields=['organization_id', 'schedule_id'])], 'pk_attr': 'id', 'table_description': "A person's request for cover over [start, end) on a schedule (SPEC §11)."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='CoverOffer',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name='cover_offers', on_delete=OnDelete.CASCADE)),
                ('cover_request', fields.ForeignKeyField('models.CoverRequest', source_field='cover_request_id', db_constraint=True, to_field='id', related_name='offers', on_delete=OnDelete.CASCADE)),
                ('contact', fields.ForeignKeyField('models.Contact', source_field='contact_id', db_constraint=True, to_field='id', related_name='cover_offers', on_delete=OnDelete.CASCADE)),
                ('status', fields.CharField(default='ACTIVE', max_length=10)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'cover_offer', 'app': 'models', 'unique_together': (('cover_request_id', 'contact_id'),), 'pk_attr': 'id', 'table_description': "A candidate's offer to cover a request: ACTIVE, WITHDRAWN, ACCEPTED, or DECLINED when"},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SignInCode',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('organization', fields.ForeignKeyField('models.Organization', source_field='organization_id', db_constraint=True, to_field='id', related_name='sign_in_codes', on_delete=OnDelete.CASCADE)),
                ('contact', fields.ForeignKeyField('models.Contact', source_field='contact_id', db_constraint=True, to_field='id', related_name='sign_in_codes', on_delete=OnDelete.CASCADE)),
                ('code_hash', fields.CharField(unique=True, max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('token', fields.ForeignKeyField('models.ApiToken', source_field='token_id', null=True, db_constraint=True, to_field='id', related_name='sign_in_codes', on_delete=OnDelete.SET_NULL)),
            ],
            options={'table': 'sign_in_code', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A one-time sign-in code of a personal link, stored only as a hash: exchanged once,'},
            bases=['Model'],
        ),
        ops.AlterModelOptions(
            name='ApiToken',
            options={'table': 'api_token', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A bearer credential. PERSON tokens name the contact they act for; a deleted contact'},
        ),
        ops.AddField(
            model_name='ApiToken',
            name='contact',
            field=fields.ForeignKeyField('models.Contact', source_field='contact_id', null=True, db_constraint=True, to_field='id', related_name='personal_tokens', on_delete=OnDelete.CASCADE),
        ),
        ops.AddField(
            model_name='Substitution',
            name='between_end',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Substitution',
            name='between_start',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
    ]
