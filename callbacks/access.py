"""Who is asking: the scope every query of this request runs under."""

from __future__ import annotations

from dashboard.web.auth.web import current_scope

__all__ = ["current_scope"]
