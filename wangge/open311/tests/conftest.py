from wangge.cases.tests.conftest import catalogue, drive, media_in_tmp, people  # noqa: F401
