from tortoise import migrations
from tortoise.migrations import operations as ops
from fithub.core.notifications.models import DeliveryStatus, WallClockField
from orjson import loads
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('fithub', '0005_leases')]

    initial = False

    operations = [
        ops.CreateModel(
            name='AccountToken',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('fithub.User', source_field='user_id', db_constraint=True, to_field='id', related_name='account_tokens', on_delete=OnDelete.CASCADE)),
                ('purpose', fields.CharField(description='verify_email, reset, email_change', max_length=16)),
                ('token_hash', fields.CharField(unique=True, max_length=64)),
                ('email', fields.CharField(description='the address it was mailed to', max_length=254)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'account_tokens', 'app': 'fithub', 'indexes': [Index(fields=['user_id', 'purpose'])], 'pk_attr': 'id', 'table_description': 'A single-use, expiring token mailed to a person: verify an address, reset a password.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='EventConsumer',
            fields=[
                ('name', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=64)),
                ('position', fields.BigIntField(default=0)),
                ('lease_expires_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('worker', fields.CharField(null=True, max_length=80)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'event_consumers', 'app': 'fithub', 'pk_attr': 'name', 'table_description': "A consumer's position in the event outbox, and which worker holds it."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Notification',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('fithub.User', source_field='user_id', db_constraint=True, to_field='id', related_name='notifications', on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharField(max_length=64)),
                ('title', fields.CharField(max_length=200)),
                ('text', fields.TextField(unique=False)),
                ('context', fields.JSONField(default=dict, description='what the templates are rendered from', encoder=JSON_DUMPS, decoder=loads)),
                ('sealed_context', fields.TextField(null=True, description='secret template values (a reset link), sealed, wiped once sent', unique=False)),
                ('dedup_key', fields.CharField(description='one notification per cause', max_length=128)),
                ('event_id', fields.BigIntField(null=True)),
                ('inbox', fields.BooleanField(default=True)),
                ('urgent', fields.BooleanField(default=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('read_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('dismissed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'notifications', 'app': 'fithub', 'unique_together': (('user_id', 'dedup_key'),), 'indexes': [Index(fields=['user_id', 'inbox', 'dismissed_at', 'id'])], 'pk_attr': 'id', 'table_description': 'Something to tell one person: an inbox item (unless ``inbox`` is false, as for account mails).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='NotificationPreference',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('fithub.User', source_field='user_id', db_constraint=True, to_field='id', related_name='notification_preferences', on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharField(max_length=64)),
                ('channel', fields.CharField(max_length=32)),
                ('enabled', fields.BooleanField()),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'notification_preferences', 'app': 'fithub', 'unique_together': (('user_id', 'kind', 'channel'),), 'pk_attr': 'id', 'table_description': "A person's choice for one kind on one channel (absent: the kind's default)."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='NotificationSettings',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.OneToOneField('fithub.User', source_field='user_id', db_constraint=True, to_field='id', related_name='notification_settings', on_delete=OnDelete.CASCADE)),
                ('quiet_start', WallClockField(null=True)),
                ('quiet_end', WallClockField(null=True)),
                ('phone_number', fields.CharField(null=True, description='E.164, for SMS', max_length=20)),
                ('unsubscribe_token', fields.CharField(unique=True, max_length=64)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'notification_settings', 'app': 'fithub', 'pk_attr': 'id', 'table_description': "A person's quiet hours (in their time zone) and addresses on channels other than e-mail."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PushToken',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('fithub.User', source_field='user_id', db_constraint=True, to_field='id', related_name='push_tokens', on_delete=OnDelete.CASCADE)),
                ('token', fields.CharField(max_length=4096)),
                ('token_digest', fields.CharField(unique=True, max_length=64)),
                ('platform', fields.CharField(max_length=16)),
                ('device_name', fields.CharField(null=True, max_length=100)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('last_seen_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'push_tokens', 'app': 'fithub', 'indexes': [Index(fields=['user_id', 'id'])], 'pk_attr': 'id', 'table_description': 'A device registered for push notifications (an FCM registration token).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Reminder',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('fithub.User', source_field='user_id', db_constraint=True, to_field='id', related_name='reminders', on_delete=OnDelete.CASCADE)),
                ('plan', fields.ForeignKeyField('fithub.WorkoutPlan', source_field='plan_id', null=True, db_constraint=True, to_field='id', related_name='reminders', on_delete=OnDelete.CASCADE)),
                ('title', fields.CharField(max_length=120)),
                ('local_time', WallClockField()),
                ('weekdays', fields.SmallIntField(description='bit 0 = Monday ... bit 6 = Sunday')),
                ('active', fields.BooleanField(default=True)),
                ('next_due_at', fields.DatetimeField(null=True, description='UTC, null when inactive', auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'reminders', 'app': 'fithub', 'indexes': [Index(fields=['active', 'next_due_at']), Index(fields=['user_id', 'id'])], 'pk_attr': 'id', 'table_description': 'A recurring workout reminder at a local time on chosen weekdays (optionally for a plan).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='WebhookEndpoint',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('owner', fields.ForeignKeyField('fithub.User', source_field='owner_id', db_constraint=True, to_field='id', related_name='webhook_endpoints', on_delete=OnDelete.CASCADE)),
                ('all_users', fields.BooleanField(default=False, description="an admin's: events of every user")),
                ('url', fields.CharField(max_length=2048)),
                ('description', fields.CharField(default='', max_length=200)),
                ('event_types', fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads)),
                ('secrets', fields.TextField(description='sealed signing secrets, newest first', unique=False)),
                ('rotation_ends_at', fields.DatetimeField(null=True, description='the older secret signs until then', auto_now=False, auto_now_add=False)),
                ('enabled', fields.BooleanField(default=True)),
                ('disabled_reason', fields.CharField(null=True, max_length=200)),
                ('failing_since', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'webhook_endpoints', 'app': 'fithub', 'indexes': [Index(fields=['enabled', 'all_users'])], 'pk_attr': 'id', 'table_description': "Where an app builder receives events: a user's own, or an admin's for every user."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Delivery',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('fithub.User', source_field='user_id', db_constraint=True, to_field='id', related_name='deliveries', on_delete=OnDelete.CASCADE)),
                ('notification', fields.ForeignKeyField('fithub.Notification', source_field='notification_id', null=True, db_constraint=True, to_field='id', related_name='deliveries', on_delete=OnDelete.CASCADE)),
                ('endpoint', fields.ForeignKeyField('fithub.WebhookEndpoint', source_field='endpoint_id', null=True, db_constraint=True, to_field='id', related_name='deliveries', on_delete=OnDelete.CASCADE)),
                ('channel', fields.CharField(description="the notifier plugin's name", max_length=32)),
                ('target', fields.CharField(null=True, description="a push token's digest", max_length=64)),
                ('event_type', fields.CharField(null=True, description="a webhook's event type", max_length=64)),
                ('event_id', fields.BigIntField(null=True)),
                ('payload', fields.JSONField(null=True, description="a webhook's body: the event's versioned payload", encoder=JSON_DUMPS, decoder=loads)),
                ('idempotency_key', fields.CharField(unique=True, max_length=64)),
                ('status', fields.CharEnumField(default=DeliveryStatus.PENDING, description='PENDING: pending\nSENDING: sending\nSENT: sent\nDELIVERED: delivered\nFAILED: failed\nSKIPPED: skipped', enum_type=DeliveryStatus, max_length=16)),
                ('attempts', fields.SmallIntField(default=0)),
                ('next_attempt_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('lease_expires_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('worker', fields.CharField(null=True, max_length=80)),
                ('last_error', fields.CharField(null=True, max_length=500)),
                ('provider_message_id', fields.CharField(null=True, max_length=255)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('sent_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'notification_deliveries', 'app': 'fithub', 'indexes': [Index(fields=['status', 'next_attempt_at']), Index(fields=['channel', 'provider_message_id']), Index(fields=['endpoint_id', 'id']), Index(fields=['user_id', 'id'])], 'pk_attr': 'id', 'table_description': "One message on one channel: a notification's (to a person) or an event's (to an endpoint)."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='DeliveryAttempt',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('delivery', fields.ForeignKeyField('fithub.Delivery', source_field='delivery_id', db_constraint=True, to_field='id', related_name='attempt_log', on_delete=OnDelete.CASCADE)),
                ('number', fields.SmallIntField()),
                ('started_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('duration_ms', fields.IntField()),
                ('outcome', fields.CharField(description='sent, retry, gave_up, invalid', max_length=16)),
                ('error', fields.CharField(null=True, max_length=500)),
            ],
            options={'table': 'notification_delivery_attempts', 'app': 'fithub', 'indexes': [Index(fields=['delivery_id', 'number'])], 'pk_attr': 'id', 'table_description': 'One try of a delivery: when, how long, and what came of it.'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='User',
            name='email_verified_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
    ]
