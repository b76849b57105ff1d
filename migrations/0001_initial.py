import functools
from json import dumps, loads
from uuid import uuid4

from fithub.core.accounts.models import Gender, Privacy, Role, UnitSystem
from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.indexes import Index
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='User',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('email', fields.CharField(unique=True, max_length=254)),
                ('password_hash', fields.CharField(max_length=255)),
                ('display_name', fields.CharField(max_length=100)),
                ('birth_date', fields.DateField(null=True)),
                ('gender', fields.CharEnumField(null=True, description='FEMALE: female\nMALE: male\nNON_BINARY: non_binary\nOTHER: other\nUNDISCLOSED: undisclosed', enum_type=Gender, max_length=16)),
                ('height_cm', fields.FloatField(null=True)),
                ('weight_kg', fields.FloatField(null=True)),
                ('timezone', fields.CharField(default='UTC', max_length=64)),
                ('locale', fields.CharField(default='en', max_length=35)),
                ('unit_system', fields.CharEnumField(default=UnitSystem.METRIC, description='METRIC: metric\nIMPERIAL: imperial', enum_type=UnitSystem, max_length=8)),
                ('privacy', fields.CharEnumField(default=Privacy.PRIVATE, description='PRIVATE: private\nTRAINERS: trainers\nPUBLIC: public', enum_type=Privacy, max_length=8)),
                ('role', fields.CharEnumField(default=Role.USER, description='USER: user\nTRAINER: trainer\nADMIN: admin', enum_type=Role, max_length=8)),
                ('is_active', fields.BooleanField(default=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('password_changed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'users', 'app': 'fithub', 'pk_attr': 'id', 'table_description': 'A person with an account. Body measures are stored metric whatever the unit preference.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='AuditEvent',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('subject', fields.ForeignKeyField('fithub.User', source_field='subject_id', null=True, db_constraint=True, to_field='id', related_name='audit_events', on_delete=OnDelete.SET_NULL)),
                ('actor', fields.ForeignKeyField('fithub.User', source_field='actor_id', null=True, db_constraint=True, to_field='id', related_name='audit_actions', on_delete=OnDelete.SET_NULL)),
                ('action', fields.CharField(max_length=64)),
                ('target_type', fields.CharField(null=True, max_length=32)),
                ('target_id', fields.CharField(null=True, max_length=64)),
                ('ip_address', fields.CharField(null=True, max_length=45)),
                ('user_agent', fields.CharField(null=True, max_length=255)),
                ('request_id', fields.CharField(null=True, max_length=64)),
                ('details', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'audit_events', 'app': 'fithub', 'indexes': [Index(fields=['subject_id', 'id']), Index(fields=['action', 'id'])], 'pk_attr': 'id', 'table_description': 'One recorded authentication event or change to user data.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='AuthSession',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('fithub.User', source_field='user_id', db_constraint=True, to_field='id', related_name='sessions', on_delete=OnDelete.CASCADE)),
                ('device_name', fields.CharField(null=True, max_length=100)),
                ('user_agent', fields.CharField(null=True, max_length=255)),
                ('ip_address', fields.CharField(null=True, max_length=45)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('last_used_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('revoked_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('revoke_reason', fields.CharField(null=True, max_length=32)),
            ],
            options={'table': 'auth_sessions', 'app': 'fithub', 'indexes': [Index(fields=['user_id', 'revoked_at'])], 'pk_attr': 'id', 'table_description': 'One signed-in device: a family of rotating refresh tokens.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='RefreshToken',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('session', fields.ForeignKeyField('fithub.AuthSession', source_field='session_id', db_constraint=True, to_field='id', related_name='tokens', on_delete=OnDelete.CASCADE)),
                ('token_hash', fields.CharField(unique=True, max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'refresh_tokens', 'app': 'fithub', 'pk_attr': 'id', 'table_description': 'A refresh token, stored as its SHA-256. Once used it is spent, and reuse revokes its session.'},
            bases=['Model'],
        ),
    ]
