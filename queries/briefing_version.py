"""The published data version and when it was built, for the sources line of briefings."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import sqlalchemy as sa

from dashboard.analytics_schema import data_version as data_version_table
from queries.database import NOT_BUILT, DataNotReady, read


def latest_build() -> tuple[int, datetime]:
    """Return the latest data version and the time its analytics tables were built."""
    v = data_version_table.c
    select = sa.select(v.version, v.built_at).order_by(v.version.desc()).limit(1)
    try:
        frame = read(select)
    except sa.exc.ProgrammingError as error:
        raise DataNotReady(NOT_BUILT) from error
    if frame.empty:
        raise DataNotReady(NOT_BUILT)
    row = frame.iloc[0]
    return int(row["version"]), pd.Timestamp(row["built_at"]).to_pydatetime()
