"""The demo city's 党建 content; `CityBuilder.build` calls `build(builder)` after the cases."""


def build(builder) -> None:
    return None
