"""Does a food's energy agree with its macros? A check for typos in food data, not a verdict.

The general Atwater factors give energy from the macros: 4 kcal per gram of protein, 4 per gram
of carbohydrate, 9 per gram of fat. Food tables use food-specific factors and count things the
three macros leave out, so a correct label can differ from 4/4/9 for known reasons, each allowed:

- **fibre**: USDA's carbohydrate is "by difference" and includes fibre, which yields 0-2 kcal/g
  (and SR gives fibre-rich foods such as cocoa and brans low food-specific factors): the lower
  bound counts fibre as 0 kcal;
- **polyols** (sugar alcohols, ~2.4 kcal/g) in foods named sugar-free, diet or low calorie: the
  lower bound counts their carbohydrate at 2 kcal/g;
- **alcohol** (7 kcal/g, not a macro) in beer, wine, spirits...: the upper bound adds 7 kcal per
  gram left over after the macros;
- **organic acids** (acetic acid ~3.6 kcal/g) in vinegars: the upper bound adds up to 40 kcal;
- **rounding** in nearly energy-free foods (coffee, tea, diet drinks): a slack of 15 kcal.

Beyond those, energy must be within 15% of the computed value. :func:`energy_warning` returns a
sentence saying how far off a food is, or None when it is plausible.
"""

from __future__ import annotations

from fithub.plugins.nutrition import Nutrients
from fithub.plugins.ranking import normalise

PROTEIN_KCAL = 4.0
CARBOHYDRATE_KCAL = 4.0
FAT_KCAL = 9.0
ALCOHOL_KCAL = 7.0
POLYOL_KCAL = 2.0
TOLERANCE = 0.15
"""Relative difference allowed once the known reasons are accounted for."""
SLACK_KCAL = 15.0
"""Absolute difference allowed on top (per 100 g), for rounding in low-energy foods."""
ACID_KCAL = 40.0
"""Most energy organic acids add to a vinegar (up to ~10 g acetic acid at 3.6 kcal/g)."""

ALCOHOL_WORDS = frozenset(
    "alcoholic beer ale lager stout porter wine wines spirits spirit liqueur liquor vodka whiskey "
    "whisky gin rum brandy cognac tequila sake cider mead champagne prosecco vermouth sherry "
    "daiquiri martini margarita".split()
)
"""Words (of the name or category, normalised) that mark a drink that may contain alcohol."""
POLYOL_PHRASES = ("sugar free", "sugarfree", "sugarless", "low calorie", "reduced calorie", "diet")
"""Phrases that mark a food that may be sweetened with polyols."""
ACID_WORDS = frozenset({"vinegar", "vinegars"})


def _words(*texts: str | None) -> tuple[set[str], str]:
    joined = " ".join(normalise(text) for text in texts if text)
    return set(joined.split()), f" {joined} "


def energy_warning(n: Nutrients, *, category: str | None = None, name: str = "") -> str | None:
    """None when ``n``'s energy is plausible for its protein, carbohydrate, fat and fibre, else a
    sentence for people, e.g. ``"energy 500 kcal is 2841% above 4/4/9 of its macros (17 kcal)"``.

    ``name`` and ``category`` let it allow alcohol, organic acids and polyols (see the module).
    Nothing can be judged when protein, carbohydrate or fat is unknown: None.
    """
    if n.protein_g is None or n.carbohydrate_g is None or n.fat_g is None:
        return None
    protein, carbohydrate, fat = n.protein_g, n.carbohydrate_g, n.fat_g
    fibre = min(n.fibre_g or 0.0, carbohydrate)
    words, padded = _words(name, category)
    computed = PROTEIN_KCAL * protein + CARBOHYDRATE_KCAL * carbohydrate + FAT_KCAL * fat

    available = carbohydrate - fibre  # fibre counted as 0 kcal
    carb_factor = CARBOHYDRATE_KCAL
    if any(f" {phrase} " in padded for phrase in POLYOL_PHRASES):
        carb_factor = POLYOL_KCAL
    least = PROTEIN_KCAL * protein + carb_factor * available + FAT_KCAL * fat
    low = least * (1 - TOLERANCE) - SLACK_KCAL

    high = computed * (1 + TOLERANCE) + SLACK_KCAL
    if words & ALCOHOL_WORDS:
        high += ALCOHOL_KCAL * max(0.0, 100.0 - protein - carbohydrate - fat)
    if words & ACID_WORDS:
        high += ACID_KCAL

    energy = n.energy_kcal
    if low <= energy <= high:
        return None
    shown = f"{computed:.0f} kcal"
    if computed <= 0:
        return f"energy {energy:g} kcal but its macros (4/4/9 kcal per g) give 0 kcal"
    off = abs(energy - computed) / computed
    if energy > high:
        return f"energy {energy:g} kcal is {off:.0%} above 4/4/9 of its macros ({shown})"
    reason = ", more than its fibre explains" if fibre else ""
    return f"energy {energy:g} kcal is {off:.0%} below 4/4/9 of its macros ({shown}){reason}"
