import pytest

from wangge.dispatch_ai import hooks


@pytest.fixture(autouse=True)
def clean_dispatch_state():
    """Each test starts with no registered data sources (the model cache is emptied for every test
    by the project's conftest); afterwards the sources the apps registered at start-up are put
    back, so later tests (the demo city trains from them) find them again."""
    registered = hooks._history_source, hooks._catalogue_source
    hooks.set_history_source(None)
    hooks.set_catalogue_source(None)
    yield
    hooks.set_history_source(registered[0])
    hooks.set_catalogue_source(registered[1])
