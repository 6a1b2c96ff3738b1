"""The demo city's 议事协商 content; `CityBuilder.build` calls `build(builder)` after the cases."""


def build(builder) -> None:
    return None
