"""The built-in food table (plugin name ``builtin``): USDA SR28 foods shipped in the package.

The embedded default source: no account, no network. Registered like any third-party plugin
(``fithub.plugins.manager.BUILTIN_PLUGINS`` and the ``fithub-builtin-food-table`` entry point).
"""

from __future__ import annotations

from fithub.plugins import PluginHost, hookimpl
from fithub.plugins.food_table.table import FoodTable, load_table
from fithub.plugins.nutrition import NutritionSource

__all__ = ["FoodTable", "load_table", "register_nutrition_sources"]


@hookimpl
def register_nutrition_sources(host: PluginHost) -> list[type[NutritionSource]]:
    return [FoodTable]
