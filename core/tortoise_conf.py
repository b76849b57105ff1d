"""``TORTOISE_ORM`` for the ``tortoise`` command (makemigrations): ``-c fithub.core.tortoise_conf.TORTOISE_ORM``."""

from fithub.core.config import load_settings
from fithub.core.db import tortoise_config

TORTOISE_ORM = tortoise_config(load_settings())
