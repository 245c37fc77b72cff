"""Panels that other apps add to a listing's page, without listings knowing them (listings imports no higher app).

    register(name, fn)                 fn(request, listing) -> html (a SafeString) or "" (nothing to show)
    render_panels(request, listing) -> [SafeString]   the non-empty panels, in the order they were registered

The listing page shows them under the licence terms (on a phone too: before the patents). An app registers its
panel in its ``AppConfig.ready()``; registering a name again replaces the earlier panel.
"""

from __future__ import annotations

from collections.abc import Callable

from django.utils.safestring import SafeString

Panel = Callable[[object, object], str]

_panels: dict[str, Panel] = {}


def register(name: str, fn: Panel) -> None:
    _panels[name] = fn


def unregister(name: str) -> None:
    _panels.pop(name, None)


def render_panels(request, listing) -> list[SafeString]:
    rendered = []
    for fn in list(_panels.values()):
        html = fn(request, listing)
        if html:
            rendered.append(SafeString(html))
    return rendered
