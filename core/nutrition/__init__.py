"""Nutrition: foods from nutrition-source plugins or entered by hand, recipes, the food diary,
saved meals, favourites, daily targets and totals against them."""
