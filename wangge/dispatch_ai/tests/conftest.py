import pytest

from wangge.dispatch_ai import hooks, runtime


@pytest.fixture(autouse=True)
def clean_dispatch_state():
    """Each test starts with no registered data sources and an empty model cache; afterwards the
    sources the case app registered at start-up are put back, so tests elsewhere (the demo city
    trains a first model) still find them."""
    saved = hooks._history_source, hooks._catalogue_source
    runtime.clear_cache()
    hooks.set_history_source(None)
    hooks.set_catalogue_source(None)
    yield
    runtime.clear_cache()
    hooks.set_history_source(saved[0])
    hooks.set_catalogue_source(saved[1])
