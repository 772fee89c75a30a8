"""Callbacks declared by the modules of ``callbacks/``, given to each app explicitly.

Modules declare their callbacks with :func:`callback` and :func:`clientside_callback`
(the same arguments as Dash's); :func:`register` then adds every one to an app through
its public ``app.callback`` and ``app.clientside_callback``. A process may hold several
apps (the configuration check of ``serve``, tests), and each gets all of them. A
declared function stays a plain function, callable as is.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import dash

_SERVER: list[tuple[tuple, dict, Callable]] = []
_CLIENT: list[tuple[tuple, dict]] = []


def callback(*args: Any, **kwargs: Any) -> Callable[[Callable], Callable]:
    """Declare a server callback: its outputs, inputs and states as for ``app.callback``."""
    def declare(function: Callable) -> Callable:
        _SERVER.append((args, kwargs, function))
        return function

    return declare


def clientside_callback(*args: Any, **kwargs: Any) -> None:
    """Declare a callback run in the browser, as for ``app.clientside_callback``."""
    _CLIENT.append((args, kwargs))


def register(app: dash.Dash) -> None:
    """Add every declared callback to ``app``."""
    for args, kwargs, function in _SERVER:
        app.callback(*args, **kwargs)(function)
    for args, kwargs in _CLIENT:
        app.clientside_callback(*args, **kwargs)
