from typing import Any

from tortoise import migrations
from tortoise.migrations import operations as ops
from fithub.core.telemetry.models import AlertCondition, StreamStatus
from fithub.core.workouts.models import RecordKind
from fithub.plugins.records import SampleKind
from orjson import loads
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields
from tortoise.indexes import Index

#: SQLite cannot alter a column: Tortoise rebuilds the table and its rebuild drops the table's
#: indexes and unique constraints (the enum description changes below, and 0005's on
#: device_sync_logs). Put them back; PostgreSQL alters in place and keeps them.
SQLITE_INDEXES = (
    'CREATE UNIQUE INDEX IF NOT EXISTS "uid_device_samp_user_kind_external" ON "device_samples" '
    '("user_id", "provider", "kind", "external_id")',
    'CREATE INDEX IF NOT EXISTS "idx_device_samp_user_id_6d4ef2" ON "device_samples" '
    '("user_id", "kind", "time")',
    'CREATE INDEX IF NOT EXISTS "idx_personal_re_user_id_183708" ON "personal_records" '
    '("user_id", "exercise_id", "kind")',
    'CREATE INDEX IF NOT EXISTS "idx_personal_re_user_id_b510fd" ON "personal_records" '
    '("user_id", "achieved_at")',
    'CREATE INDEX IF NOT EXISTS "idx_device_sync_connect_status" ON "device_sync_logs" '
    '("connection_id", "status")',
)


async def restore_sqlite_indexes(apps: Any, schema_editor: Any) -> None:
    if schema_editor.DIALECT != "sqlite":
        return
    for sql in SQLITE_INDEXES:
        await schema_editor.client.execute_script(sql)


class Migration(migrations.Migration):
    dependencies = [('fithub', '0006_notifications')]

    initial = False

    operations = [
        ops.CreateModel(
            name='DevicePosition',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('provider', fields.CharField(max_length=32)),
                ('external_id', fields.CharField(max_length=128)),
                ('user', fields.ForeignKeyField('fithub.User', source_field='user_id', db_constraint=True, to_field='id', related_name='device_positions', on_delete=OnDelete.CASCADE)),
                ('time', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('latitude', fields.FloatField(description='degrees north, WGS 84')),
                ('longitude', fields.FloatField(description='degrees east, WGS 84')),
                ('altitude_m', fields.FloatField(null=True)),
                ('accuracy_m', fields.FloatField(null=True, description='horizontal accuracy radius')),
                ('payload', fields.JSONField(default=dict, description='as the vendor sent it', encoder=JSON_DUMPS, decoder=loads)),
                ('digest', fields.CharField(max_length=32)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'device_positions', 'app': 'fithub', 'unique_together': (('user', 'provider', 'external_id'),), 'indexes': [Index(fields=['user_id', 'time'])], 'pk_attr': 'id', 'table_description': 'A position fix (GPS) at one instant, from a phone streaming live or a device vendor.'},
            bases=['DeviceRecord'],
        ),
        ops.CreateModel(
            name='HeartRateProfile',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.OneToOneField('fithub.User', source_field='user_id', db_constraint=True, to_field='id', related_name='heart_rate_profile', on_delete=OnDelete.CASCADE)),
                ('max_bpm', fields.SmallIntField(null=True, description='measured maximum heart rate')),
                ('resting_bpm', fields.SmallIntField(null=True, description='resting heart rate')),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'telemetry_heart_rate_profiles', 'app': 'fithub', 'pk_attr': 'id', 'table_description': 'What heart-rate zones and energy estimates are computed from, per user.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='TelemetryAlertRule',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('fithub.User', source_field='user_id', db_constraint=True, to_field='id', related_name='telemetry_alert_rules', on_delete=OnDelete.CASCADE)),
                ('name', fields.CharField(default='', max_length=100)),
                ('condition', fields.CharEnumField(description='ABOVE_ZONE: above_zone\nBELOW_RATE: below_rate\nABOVE_RATE: above_rate\nSIGNAL_LOST: signal_lost', enum_type=AlertCondition, max_length=16)),
                ('zone', fields.SmallIntField(null=True)),
                ('bpm', fields.SmallIntField(null=True)),
                ('duration_s', fields.IntField(default=30)),
                ('quiet_s', fields.IntField(default=300, description='no repeat for this long after firing')),
                ('enabled', fields.BooleanField(default=True)),
                ('last_fired_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'telemetry_alert_rules', 'app': 'fithub', 'indexes': [Index(fields=['user_id', 'enabled'])], 'pk_attr': 'id', 'table_description': 'A condition on a live stream the user wants to be told about, with a quiet period.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='TelemetryStream',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('fithub.User', source_field='user_id', db_constraint=True, to_field='id', related_name='telemetry_streams', on_delete=OnDelete.CASCADE)),
                ('device_id', fields.CharField(description='the client id of the source device', max_length=64)),
                ('device_name', fields.CharField(default='', max_length=100)),
                ('sport', fields.CharField(default='workout', max_length=64)),
                ('status', fields.CharEnumField(default=StreamStatus.ACTIVE, description='ACTIVE: active\nENDED: ended', enum_type=StreamStatus, max_length=8)),
                ('last_seq', fields.BigIntField(default=-1, description='the last batch number processed')),
                ('batches', fields.IntField(default=0)),
                ('batches_rejected', fields.IntField(default=0)),
                ('samples', fields.IntField(default=0)),
                ('first_sample_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('last_sample_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('summary', fields.JSONField(default=dict, description='derived values at the last batch', encoder=JSON_DUMPS, decoder=loads)),
                ('started_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('last_batch_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('ended_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'telemetry_streams', 'app': 'fithub', 'indexes': [Index(fields=['user_id', 'status']), Index(fields=['status', 'last_batch_at'])], 'pk_attr': 'id', 'table_description': 'One live stream of one user from one source device (a chest strap, a watch, a bike).'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='CoachingRelation',
            name='share_live',
            field=fields.BooleanField(default=False, description='live telemetry while streaming'),
        ),
        ops.AlterField(
            model_name='DeviceSample',
            name='kind',
            field=fields.CharEnumField(description='HEART_RATE: heart_rate\nHRV_RMSSD: hrv_rmssd\nSPO2: spo2\nRESPIRATORY_RATE: respiratory_rate\nSKIN_TEMPERATURE_DELTA: skin_temperature_delta\nSTEPS: steps\nRR_INTERVAL: rr_interval\nPOWER: power\nCYCLING_CADENCE: cycling_cadence\nCYCLING_SPEED: cycling_speed\nRUNNING_SPEED: running_speed\nRUNNING_CADENCE: running_cadence\nSKIN_TEMPERATURE: skin_temperature', enum_type=SampleKind, max_length=32),
        ),
        ops.AlterField(
            model_name='PersonalRecord',
            name='kind',
            field=fields.CharEnumField(description='MAX_WEIGHT: max_weight\nMAX_REPS_AT_WEIGHT: max_reps_at_weight\nBEST_E1RM: best_e1rm\nMAX_SESSION_VOLUME: max_session_volume\nLONGEST_DISTANCE: longest_distance\nLONGEST_DURATION: longest_duration\nFASTEST_PACE: fastest_pace\nMAX_REPS: max_reps', enum_type=RecordKind, max_length=24),
        ),
        ops.RunPython(restore_sqlite_indexes, reverse_code=ops.RunPython.noop),
        ops.AddField(
            model_name='WorkoutSet',
            name='heart_rate_peak',
            field=fields.SmallIntField(null=True),
        ),
        ops.AddField(
            model_name='WorkoutSet',
            name='heart_rate_recovery_bpm',
            field=fields.SmallIntField(null=True, description='drop from the sets end to the end of the rest after it'),
        ),
        ops.AddField(
            model_name='WorkoutSet',
            name='time_under_tension_s',
            field=fields.FloatField(null=True),
        ),
    ]
