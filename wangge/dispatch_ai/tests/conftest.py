import pytest

from wangge.dispatch_ai import hooks, runtime


@pytest.fixture(autouse=True)
def clean_dispatch_state():
    """Each test starts with no registered data sources and an empty model cache."""
    runtime.clear_cache()
    hooks.set_history_source(None)
    hooks.set_catalogue_source(None)
    yield
    runtime.clear_cache()
    hooks.set_history_source(None)
    hooks.set_catalogue_source(None)
