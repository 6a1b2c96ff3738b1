"""Where training data comes from. The case app owns the catalogue and the confirmed dispatches;
it registers two functions here (in its AppConfig.ready) and this app pulls from them, so neither
app imports the other's models.

    from wangge.dispatch_ai import hooks
    hooks.set_history_source(confirmed_dispatches)   # () -> Iterable[tuple[text, category_code]]
    hooks.set_catalogue_source(catalogue_entries)    # () -> Iterable[tuple[code, name, list[keyword]]]
"""

from collections.abc import Callable, Iterable

HistorySource = Callable[[], Iterable[tuple[str, str]]]
CatalogueSource = Callable[[], Iterable[tuple[str, str, list[str]]]]

_history_source: HistorySource | None = None
_catalogue_source: CatalogueSource | None = None


def set_history_source(source: HistorySource | None) -> None:
    """Register the function yielding (message text, final category code) of confirmed dispatches."""
    global _history_source
    _history_source = source


def set_catalogue_source(source: CatalogueSource | None) -> None:
    """Register the function yielding (category code, name, keywords) of the active catalogue."""
    global _catalogue_source
    _catalogue_source = source


def history_examples() -> list[tuple[str, str]]:
    if _history_source is None:
        return []
    return [(str(text), str(label)) for text, label in _history_source() if text and label]


def catalogue_entries() -> list[tuple[str, str, list[str]]]:
    if _catalogue_source is None:
        return []
    return [(str(code), str(name), [str(k) for k in keywords or []]) for code, name, keywords in _catalogue_source()]
