"""Request and response bodies of the exercises API (pydantic v2; they also make the OpenAPI schema)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from fithub.core.exercises.models import Exercise, ExerciseType, Visibility
from fithub.core.exercises.search import normalise
from fithub.core.exercises.vocabulary import Equipment, Muscle
from fithub.core.pagination import PageQuery

MAX_ALIASES = 5
MAX_PRIMARY = 5
MAX_SECONDARY = 8


def _has_letters(value: str) -> str:
    if not normalise(value):
        raise ValueError("must contain letters or digits")
    return value


Name = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=2, max_length=80),
    AfterValidator(_has_letters),
]
Alias = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=40),
    AfterValidator(_has_letters),
]
Instructions = Annotated[str, StringConstraints(strip_whitespace=True, max_length=4000)]
CustomVisibility = Literal["private", "clients"]
Aliases = Annotated[list[Alias], Field(max_length=MAX_ALIASES)]
PrimaryMuscles = Annotated[list[Muscle], Field(min_length=1, max_length=MAX_PRIMARY)]
SecondaryMuscles = Annotated[list[Muscle], Field(max_length=MAX_SECONDARY)]


def _unique(values: list[Any]) -> list[Any]:
    return list(dict.fromkeys(values))


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_max_length=4000)


class ExerciseCreate(Strict):
    """A custom exercise. ``clients`` visibility lets your active coaching clients use it too."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "Landmine press",
                    "type": "strength",
                    "primary_muscles": ["shoulders"],
                    "secondary_muscles": ["triceps"],
                    "equipment": "barbell",
                }
            ]
        }
    )

    name: Name
    aliases: Aliases = Field(default_factory=list, description=f"up to {MAX_ALIASES} other names")
    type: ExerciseType
    primary_muscles: PrimaryMuscles
    secondary_muscles: SecondaryMuscles = Field(default_factory=list)
    equipment: Equipment = Equipment.NONE
    instructions: Instructions = ""
    visibility: CustomVisibility = "private"

    @model_validator(mode="after")
    def _consistent(self) -> ExerciseCreate:
        self.aliases = _unique(self.aliases)
        self.primary_muscles = _unique(self.primary_muscles)
        self.secondary_muscles = _unique(self.secondary_muscles)
        both = sorted(set(self.primary_muscles) & set(self.secondary_muscles))
        if both:
            raise ValueError(f"listed as primary and secondary: {', '.join(both)}")
        return self


class ExerciseUpdate(Strict):
    """Only the fields sent change; none may be null."""

    name: Name | None = None
    aliases: Aliases | None = None
    type: ExerciseType | None = None
    primary_muscles: PrimaryMuscles | None = None
    secondary_muscles: SecondaryMuscles | None = None
    equipment: Equipment | None = None
    instructions: Instructions | None = None
    visibility: CustomVisibility | None = None

    @field_validator("*", mode="before")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:  # absent means unchanged; an explicit null is a mistake
            raise ValueError("cannot be null; leave the field out to keep it")
        return value

    def changes(self) -> dict[str, Any]:
        return self.model_dump(exclude_unset=True)


class ExerciseQuery(PageQuery):
    q: str | None = Field(
        None, max_length=100, description="search text: typos are forgiven, aliases count"
    )
    muscle: Muscle | None = Field(None, description="works this muscle group")
    primary_only: bool = Field(False, description="with muscle: only as a primary muscle")
    equipment: Equipment | None = None
    type: ExerciseType | None = None


class SuggestQuery(BaseModel):
    q: str = Field(min_length=1, max_length=100, description="what has been typed so far")
    limit: int = Field(10, ge=1, le=25)


class ExerciseOut(BaseModel):
    id: int
    slug: str
    name: str
    aliases: list[str]
    type: ExerciseType
    primary_muscles: list[str]
    secondary_muscles: list[str]
    equipment: str
    instructions: str
    custom: bool = Field(description="made by a user rather than shipped in the catalog")
    owner_id: int | None
    owned: bool = Field(description="made by you: you may change or delete it")
    visibility: Visibility
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, exercise: Exercise, viewer_id: int) -> ExerciseOut:
        return cls(
            id=exercise.id,
            slug=exercise.slug,
            name=exercise.name,
            aliases=exercise.aliases,
            type=exercise.type,
            primary_muscles=exercise.primary_muscles,
            secondary_muscles=exercise.secondary_muscles,
            equipment=exercise.equipment,
            instructions=exercise.instructions,
            custom=exercise.owner_id is not None,
            owner_id=exercise.owner_id,
            owned=exercise.owner_id == viewer_id,
            visibility=exercise.visibility,
            created_at=exercise.created_at,
            updated_at=exercise.updated_at,
        )


class ExercisePage(BaseModel):
    items: list[ExerciseOut]
    next_cursor: str | None = Field(
        None, description="pass as ?cursor= for the next page; null at the end"
    )


class SuggestionOut(BaseModel):
    id: int
    slug: str
    name: str
    type: ExerciseType
    matched: str = Field(description="the name or alias that matched what was typed")


class SuggestionList(BaseModel):
    items: list[SuggestionOut]


class VocabularyItem(BaseModel):
    value: str
    label: str


class Vocabulary(BaseModel):
    items: list[VocabularyItem]
