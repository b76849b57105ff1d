from typing import Any

from tortoise import migrations
from tortoise.migrations import operations as ops
from fithub.core.nutrition.models import AmountUnit, Basis
from fithub.core.progress.models import GoalKind
from orjson import loads
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields
from tortoise.indexes import Index

#: SQLite cannot alter a column: the rebuild for the goal kind's new enum value below drops the
#: goals table's index (see 0007). Put it back; PostgreSQL alters in place and keeps it.
SQLITE_INDEXES = (
    'CREATE INDEX IF NOT EXISTS "idx_goals_user_id_nutrition" ON "goals" ("user_id", "id")',
)


async def restore_sqlite_indexes(apps: Any, schema_editor: Any) -> None:
    if schema_editor.DIALECT != "sqlite":
        return
    for sql in SQLITE_INDEXES:
        await schema_editor.client.execute_script(sql)


class Migration(migrations.Migration):
    dependencies = [('fithub', '0007_telemetry')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Food',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('owner', fields.ForeignKeyField('fithub.User', source_field='owner_id', null=True, description='the user who entered a custom food, empty for source foods', db_constraint=True, to_field='id', related_name='custom_foods', on_delete=OnDelete.CASCADE)),
                ('source', fields.CharField(description='nutrition source plugin name or custom', max_length=32)),
                ('source_id', fields.CharField(null=True, description='the id at the source', max_length=64)),
                ('name', fields.CharField(max_length=200)),
                ('brand', fields.CharField(null=True, max_length=120)),
                ('barcode', fields.CharField(null=True, description='GTIN-13', max_length=13)),
                ('category', fields.CharField(null=True, max_length=120)),
                ('basis', fields.CharEnumField(default=Basis.GRAMS, description='GRAMS: g\nMILLILITRES: ml', enum_type=Basis, max_length=2)),
                ('energy_kcal', fields.FloatField()),
                ('protein_g', fields.FloatField(null=True)),
                ('carbohydrate_g', fields.FloatField(null=True)),
                ('sugars_g', fields.FloatField(null=True)),
                ('fat_g', fields.FloatField(null=True)),
                ('saturated_fat_g', fields.FloatField(null=True)),
                ('fibre_g', fields.FloatField(null=True)),
                ('sodium_mg', fields.FloatField(null=True)),
                ('servings', fields.JSONField(default=list, description='named portions as name and amount in the basis unit', encoder=JSON_DUMPS, decoder=loads)),
                ('plausibility_warning', fields.CharField(null=True, max_length=300)),
                ('archived_at', fields.DatetimeField(null=True, description='a custom food its owner removed', auto_now=False, auto_now_add=False)),
                ('fetched_at', fields.DatetimeField(null=True, description='when the source last sent it', auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'foods', 'app': 'fithub', 'unique_together': (('source', 'source_id'),), 'indexes': [Index(fields=['owner_id', 'name']), Index(fields=['barcode'])], 'pk_attr': 'id', 'table_description': 'A food with nutrients per 100 g or 100 ml: fetched from a source (shared) or custom (owned).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='NutritionTargets',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.OneToOneField('fithub.User', source_field='user_id', db_constraint=True, to_field='id', related_name='nutrition_targets', on_delete=OnDelete.CASCADE)),
                ('energy_kcal', fields.FloatField(null=True)),
                ('protein_g', fields.FloatField(null=True)),
                ('carbohydrate_g', fields.FloatField(null=True)),
                ('fat_g', fields.FloatField(null=True)),
                ('fibre_g', fields.FloatField(null=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'nutrition_targets', 'app': 'fithub', 'pk_attr': 'id', 'table_description': 'A user daily targets: energy and the macronutrients (empty means no target).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Recipe',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('fithub.User', source_field='user_id', db_constraint=True, to_field='id', related_name='recipes', on_delete=OnDelete.CASCADE)),
                ('name', fields.CharField(max_length=200)),
                ('servings', fields.FloatField(default=1.0, description='how many servings the whole recipe makes')),
                ('notes', fields.TextField(default='', unique=False)),
                ('archived_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'recipes', 'app': 'fithub', 'indexes': [Index(fields=['user_id', 'name'])], 'pk_attr': 'id', 'table_description': "A user's recipe: foods in amounts, making ``servings`` servings."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='DiaryEntry',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('fithub.User', source_field='user_id', db_constraint=True, to_field='id', related_name='diary_entries', on_delete=OnDelete.CASCADE)),
                ('day', fields.DateField(description='the local date in the user time zone')),
                ('meal', fields.CharField(description='breakfast lunch dinner snack or custom', max_length=40)),
                ('position', fields.IntField(default=0)),
                ('food', fields.ForeignKeyField('fithub.Food', source_field='food_id', null=True, db_constraint=True, to_field='id', related_name='diary_entries', on_delete=OnDelete.SET_NULL)),
                ('recipe', fields.ForeignKeyField('fithub.Recipe', source_field='recipe_id', null=True, db_constraint=True, to_field='id', related_name='diary_entries', on_delete=OnDelete.SET_NULL)),
                ('name', fields.CharField(description='the food or recipe name when logged', max_length=200)),
                ('quantity', fields.FloatField()),
                ('unit', fields.CharEnumField(description='GRAMS: g\nMILLILITRES: ml\nSERVING: serving\nQUICK: quick', enum_type=AmountUnit, max_length=8)),
                ('serving_name', fields.CharField(null=True, max_length=100)),
                ('amount', fields.FloatField(null=True, description='grams or millilitres eaten, empty for quick add')),
                ('energy_kcal', fields.FloatField()),
                ('protein_g', fields.FloatField(null=True)),
                ('carbohydrate_g', fields.FloatField(null=True)),
                ('sugars_g', fields.FloatField(null=True)),
                ('fat_g', fields.FloatField(null=True)),
                ('saturated_fat_g', fields.FloatField(null=True)),
                ('fibre_g', fields.FloatField(null=True)),
                ('sodium_mg', fields.FloatField(null=True)),
                ('note', fields.CharField(default='', max_length=500)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'diary_entries', 'app': 'fithub', 'indexes': [Index(fields=['user_id', 'day', 'meal'])], 'pk_attr': 'id', 'table_description': 'One thing eaten: a food, a recipe or a quick add, with its nutrients frozen when logged.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='FavouriteFood',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('fithub.User', source_field='user_id', db_constraint=True, to_field='id', related_name='favourite_foods', on_delete=OnDelete.CASCADE)),
                ('food', fields.ForeignKeyField('fithub.Food', source_field='food_id', null=True, db_constraint=True, to_field='id', related_name='favourites', on_delete=OnDelete.CASCADE)),
                ('recipe', fields.ForeignKeyField('fithub.Recipe', source_field='recipe_id', null=True, db_constraint=True, to_field='id', related_name='favourites', on_delete=OnDelete.CASCADE)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'favourite_foods', 'app': 'fithub', 'unique_together': (('user_id', 'food_id'), ('user_id', 'recipe_id')), 'pk_attr': 'id', 'table_description': 'A food or recipe a user marked to find first.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='RecipeItem',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('recipe', fields.ForeignKeyField('fithub.Recipe', source_field='recipe_id', db_constraint=True, to_field='id', related_name='items', on_delete=OnDelete.CASCADE)),
                ('food', fields.ForeignKeyField('fithub.Food', source_field='food_id', db_constraint=True, to_field='id', related_name='recipe_items', on_delete=OnDelete.RESTRICT)),
                ('position', fields.IntField(default=0)),
                ('quantity', fields.FloatField()),
                ('unit', fields.CharEnumField(description='GRAMS: g\nMILLILITRES: ml\nSERVING: serving\nQUICK: quick', enum_type=AmountUnit, max_length=8)),
                ('serving_name', fields.CharField(null=True, max_length=100)),
            ],
            options={'table': 'recipe_items', 'app': 'fithub', 'indexes': [Index(fields=['recipe_id', 'position'])], 'pk_attr': 'id', 'table_description': 'One food of a recipe, in grams or millilitres or servings of the food.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SavedMeal',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('fithub.User', source_field='user_id', db_constraint=True, to_field='id', related_name='saved_meals', on_delete=OnDelete.CASCADE)),
                ('name', fields.CharField(max_length=120)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'saved_meals', 'app': 'fithub', 'unique_together': (('user_id', 'name'),), 'pk_attr': 'id', 'table_description': 'A named set of foods and recipes a user logs together again and again.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SavedMealItem',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('meal', fields.ForeignKeyField('fithub.SavedMeal', source_field='meal_id', db_constraint=True, to_field='id', related_name='items', on_delete=OnDelete.CASCADE)),
                ('position', fields.IntField(default=0)),
                ('food', fields.ForeignKeyField('fithub.Food', source_field='food_id', null=True, db_constraint=True, to_field='id', related_name='saved_meal_items', on_delete=OnDelete.CASCADE)),
                ('recipe', fields.ForeignKeyField('fithub.Recipe', source_field='recipe_id', null=True, db_constraint=True, to_field='id', related_name='saved_meal_items', on_delete=OnDelete.CASCADE)),
                ('quantity', fields.FloatField()),
                ('unit', fields.CharEnumField(description='GRAMS: g\nMILLILITRES: ml\nSERVING: serving\nQUICK: quick', enum_type=AmountUnit, max_length=8)),
                ('serving_name', fields.CharField(null=True, max_length=100)),
            ],
            options={'table': 'saved_meal_items', 'app': 'fithub', 'indexes': [Index(fields=['meal_id', 'position'])], 'pk_attr': 'id', 'table_description': 'One food or recipe of a saved meal, in an amount.'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='CoachingRelation',
            name='share_nutrition',
            field=fields.BooleanField(default=False, description='the food diary'),
        ),
        ops.AlterField(
            model_name='Goal',
            name='kind',
            field=fields.CharEnumField(description='WEIGHT: weight\nREPS: reps\nONE_RM: one_rm\nDISTANCE: distance\nCALORIES: calories\nSTREAK: streak\nBODY_METRIC: body_metric\nNUTRITION: nutrition', enum_type=GoalKind, max_length=12),
        ),
        ops.RunPython(restore_sqlite_indexes, reverse_code=ops.RunPython.noop),
        ops.AddField(
            model_name='Goal',
            name='comparison',
            field=fields.CharField(null=True, description='at_least or at_most', max_length=8),
        ),
        ops.AddField(
            model_name='Goal',
            name='window_days',
            field=fields.IntField(null=True, description='days a nutrition average runs over'),
        ),
    ]
