"""Browser tests run last: Playwright's sync API keeps an event loop running in the main thread
for the rest of the session once a browser has started, and every asyncio test (pytest-asyncio,
WebsocketCommunicator) collected after it would fail with "cannot be called from a running event
loop". This hook sees the whole session's items, not only this folder's."""


def pytest_collection_modifyitems(config, items):
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)
