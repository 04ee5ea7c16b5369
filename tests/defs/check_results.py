"""Reading check results the same way in every domain's "shown failing" tests.

Every asset check is shown failing once: the real asset runs where it is cheap, elsewhere the pure
function that builds the check results gets the bad data a broken pipeline would hand it. Either
way a failing check must say what it found (counts, items).
"""

from __future__ import annotations

import dagster as dg


def by_name(checks) -> dict[str, dg.AssetCheckResult | dg.AssetCheckEvaluation]:
    return {check.check_name: check for check in checks}


def meta(check: dg.AssetCheckResult | dg.AssetCheckEvaluation) -> dict:
    return {key: getattr(value, "value", value) for key, value in check.metadata.items()}
