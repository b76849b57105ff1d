"""Coaching: trainer profiles, trainer-client relations, assignments.

Importing the package registers :func:`deadlines.fulfil` with the workouts layer's completion
interface (core/workouts/completion.py): a completed workout completes the assignments it fulfils,
in the same transaction. Tortoise imports ``fithub.core.coaching.models``, hence this package, in
every process before a workout can be stored.
"""

from fithub.core.coaching import deadlines
from fithub.core.workouts.completion import register_fulfiller

register_fulfiller("coaching", deadlines.fulfil)
