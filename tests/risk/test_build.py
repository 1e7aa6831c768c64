"""aegis.risk._build: frozen dataclasses built without their __init__ are the same objects."""

from __future__ import annotations

import dataclasses

import pytest

from aegis.risk._build import maker


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class _Point:
    x: int
    y: int = 2
    tags: tuple[str, ...] = ()


def test_made_objects_equal_the_initialised_ones_and_stay_frozen() -> None:
    make = maker(_Point)
    assert make(x=1) == _Point(x=1)
    assert make(x=1, y=3, tags=("a",)) == _Point(x=1, y=3, tags=("a",))
    assert repr(make(x=1)) == repr(_Point(x=1))
    with pytest.raises(dataclasses.FrozenInstanceError):
        make(x=1).x = 2  # type: ignore[misc]
    with pytest.raises(TypeError):
        make(y=1)


def test_classes_whose_init_does_more_are_refused() -> None:
    @dataclasses.dataclass(frozen=True)
    class NoSlots:
        x: int

    @dataclasses.dataclass(frozen=True, slots=True)
    class Factory:
        x: list[int] = dataclasses.field(default_factory=list)

    @dataclasses.dataclass(frozen=True, slots=True)
    class Checked:
        x: int

        def __post_init__(self) -> None:
            assert self.x > 0

    for cls in (NoSlots, Factory, Checked):
        with pytest.raises(TypeError):
            maker(cls)
