"""The published data version and the time its analytics tables were built."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import sqlalchemy as sa

from dashboard.data.analytics_schema import data_version as data_version_table
from dashboard.extensions import cache
from queries.database import NOT_BUILT, DataNotReady, data_version, read


def data_version_info() -> dict:
    """Return ``{"version": N, "built_at": datetime}`` of the published data version."""
    return _version_info(data_version())


@cache.memoize()
def _version_info(version: int) -> dict[str, int | datetime]:
    v = data_version_table.c
    frame = read(sa.select(v.version, v.built_at).where(v.version == version))
    if frame.empty:
        raise DataNotReady(NOT_BUILT)
    built_at = pd.Timestamp(frame.iloc[0]["built_at"]).to_pydatetime()
    return {"version": int(version), "built_at": built_at}
