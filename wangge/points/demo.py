"""The demo city's 积分 content; `CityBuilder.build` calls `build(builder)` after the cases."""


def build(builder) -> None:
    return None
