"""Open Food Facts products (``/api/v2/product`` and ``/cgi/search.pl``) as fithub's :class:`FoodFacts`.

Nutrients come from ``nutriments``' ``*_100g`` values (per 100 ml for a drink):
``energy-kcal_100g``, else ``energy_100g`` (kJ) / 4.184; ``sodium_100g`` (g) x 1000 mg, else
``salt_100g`` / 2.5 (salt is 40 % sodium). The basis is ml when ``nutrition_data_per`` is
``100ml`` or the product's ``quantity`` is in ml, cl, dl or l ("500 ml", "1,5 L").
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from fithub.plugins.nutrition import Basis, FoodFacts, Nutrients, Serving
from fithub.plugins.nutrition_http import gtin13, number

FIELDS = ("code,product_name,brands,nutriments,nutrition_data_per,serving_size,serving_quantity,"
          "serving_quantity_unit,categories,quantity")  # fmt: skip
KJ_PER_KCAL = 4.184
SALT_PER_SODIUM = 2.5
GRAMS = {  # fithub field -> OFF nutriment (grams per 100 g)
    "protein_g": "proteins_100g",
    "carbohydrate_g": "carbohydrates_100g",
    "sugars_g": "sugars_100g",
    "fat_g": "fat_100g",
    "saturated_fat_g": "saturated-fat_100g",
    "fibre_g": "fiber_100g",
}
VOLUME = re.compile(r"\d\s*(ml|cl|dl|l)\b", re.IGNORECASE)


def nutrients(nutriments: Mapping[str, Any]) -> Nutrients | None:
    """Per-100 nutrients of a product's ``nutriments``; None without an energy value."""
    energy = number(nutriments.get("energy-kcal_100g"))
    if energy is None:
        kilojoules = number(nutriments.get("energy-kj_100g"))
        if kilojoules is None and nutriments.get("energy_unit", "kJ") in ("kJ", "kj"):
            kilojoules = number(nutriments.get("energy_100g"))  # energy_100g is always kJ
        if kilojoules is None:
            return None
        energy = round(kilojoules / KJ_PER_KCAL, 1)
    values = {field: number(nutriments.get(key)) for field, key in GRAMS.items()}
    sodium_g = number(nutriments.get("sodium_100g"))
    if sodium_g is None:
        salt_g = number(nutriments.get("salt_100g"))
        sodium_g = salt_g / SALT_PER_SODIUM if salt_g is not None else None
    return Nutrients(
        energy_kcal=energy,
        sodium_mg=round(sodium_g * 1000, 3) if sodium_g is not None else None,
        **values,
    )


def basis(product: Mapping[str, Any]) -> Basis:
    """``"ml"`` for a product measured by volume, else ``"g"``."""
    per = str(product.get("nutrition_data_per") or "").replace(" ", "").lower()
    if per == "100ml":
        return "ml"
    return "ml" if VOLUME.search(str(product.get("quantity") or "")) else "g"


def serving(product: Mapping[str, Any]) -> Serving | None:
    """The label serving: ``serving_quantity`` named by the ``serving_size`` text."""
    amount = number(product.get("serving_quantity"))
    if not amount:
        return None
    text = str(product.get("serving_size") or "").strip()
    unit = str(product.get("serving_quantity_unit") or "").strip() or basis(product)
    return Serving(text or f"{amount:g} {unit}", amount)


def _first(text: object, last: bool = False) -> str | None:
    parts = [p.strip() for p in str(text or "").split(",") if p.strip()]
    return (parts[-1] if last else parts[0]) if parts else None


def food_facts(product: Mapping[str, Any], code: str | None = None) -> FoodFacts | None:
    """One OFF product as :class:`FoodFacts`; None without a code, a name or an energy value."""
    source_id = str(product.get("code") or code or "").strip()
    name = str(product.get("product_name") or "").strip()
    nutriments = product.get("nutriments")
    per_100 = nutrients(nutriments) if isinstance(nutriments, Mapping) else None
    if not source_id.isdigit() or not name or per_100 is None:
        return None
    found = serving(product)
    return FoodFacts(
        source_id=source_id,
        name=name,
        per_100=per_100,
        basis=basis(product),
        brand=_first(product.get("brands")),
        barcode=gtin13(source_id),
        category=_first(product.get("categories"), last=True),  # the most specific comes last
        servings=(found,) if found else (),
    )
