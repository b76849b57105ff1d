"""HTTP routes of recipes: create, list, read, change, archive."""

from __future__ import annotations

from quart import Blueprint, Response
from quart_schema import tag, validate_querystring, validate_request

from fithub.core.auth import current_user, require_auth
from fithub.core.nutrition import recipes
from fithub.core.nutrition.recipe_schemas import RecipeIn, RecipeOut, RecipePage, RecipePatch
from fithub.core.pagination import PageQuery
from fithub.core.responses import validate_response

bp = Blueprint("nutrition_recipes", __name__, url_prefix="/api/v1/nutrition/recipes")


@bp.post("")
@tag(["nutrition"])
@require_auth()
@validate_request(RecipeIn)
@validate_response(RecipeOut, 201)
async def create_recipe(data: RecipeIn) -> tuple[RecipeOut, int]:
    """Create a recipe from your foods and source foods; nutrients per serving and in total."""
    recipe = await recipes.create_recipe(current_user().id, data)
    return await recipes.recipe_out(recipe), 201


@bp.get("")
@tag(["nutrition"])
@require_auth()
@validate_querystring(PageQuery)
@validate_response(RecipePage)
async def list_recipes(query_args: PageQuery) -> RecipePage:
    """Your recipes (archived ones left out), newest first."""
    return RecipePage(**await recipes.list_recipes(current_user().id, query_args))


@bp.get("/<int:recipe_id>")
@tag(["nutrition"])
@require_auth()
@validate_response(RecipeOut)
async def get_recipe(recipe_id: int) -> RecipeOut:
    """One of your recipes (also an archived one), nutrients from its foods as they are now."""
    return await recipes.recipe_out(await recipes.get_recipe(current_user().id, recipe_id))


@bp.patch("/<int:recipe_id>")
@tag(["nutrition"])
@require_auth()
@validate_request(RecipePatch)
@validate_response(RecipeOut)
async def update_recipe(recipe_id: int, data: RecipePatch) -> RecipeOut:
    """Change a recipe; ``items`` replaces all its items."""
    recipe = await recipes.update_recipe(current_user().id, recipe_id, data)
    return await recipes.recipe_out(recipe)


@bp.delete("/<int:recipe_id>")
@tag(["nutrition"])
@require_auth()
async def archive_recipe(recipe_id: int) -> Response:
    """Archive a recipe: gone from your list and from new entries; the diary keeps its entries."""
    await recipes.archive_recipe(current_user().id, recipe_id)
    return Response(status=204)
