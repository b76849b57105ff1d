"""A user's daily nutrition targets: read, and replace all five at once (audited)."""

from __future__ import annotations

from tortoise.transactions import in_transaction

from fithub.core.accounts.models import User
from fithub.core.audit import services as audit
from fithub.core.context import ClientInfo
from fithub.core.nutrition.models import NutritionTargets
from fithub.core.nutrition.target_schemas import TargetsIn, TargetsOut

TARGET_FIELDS = ("energy_kcal", "protein_g", "carbohydrate_g", "fat_g", "fibre_g")


def targets_out(row: NutritionTargets | None) -> TargetsOut:
    """The targets as the API shows them (all null when none were ever set)."""
    return TargetsOut(**{name: getattr(row, name) if row else None for name in TARGET_FIELDS})


async def get_targets(user_id: int) -> TargetsOut:
    """The user's daily targets."""
    return targets_out(await NutritionTargets.get_or_none(user_id=user_id))


async def save_targets(user: User, client: ClientInfo, data: TargetsIn) -> TargetsOut:
    """Replace the user's targets (a target not sent is removed)."""
    values = {name: getattr(data, name) for name in TARGET_FIELDS}
    async with in_transaction() as conn:
        # One PUT at a time per user, so two first saves cannot both create the row.
        await User.filter(id=user.id).select_for_update().using_db(conn).first()
        row = await NutritionTargets.filter(user_id=user.id).using_db(conn).first()
        if row is None:
            row = await NutritionTargets.create(user_id=user.id, using_db=conn, **values)
        else:
            row.update_from_dict(values)
            await row.save(using_db=conn)
        await audit.record(
            "nutrition.targets_saved",
            client,
            subject_id=user.id,
            target_type="user",
            target_id=user.id,
            details={name: value for name, value in values.items() if value is not None},
        )
    return targets_out(row)
