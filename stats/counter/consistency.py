"""The consistency checks of the Code of Practice, as warnings: a unique count never
exceeds its total (UIR > TIR is a "critical error" of the official validator), and by
definition TIR ≤ TII and UTR ≤ UIR (COUNTER.md §1). They are warnings, not rejections:
the vendor's numbers are still the only ones we have, and staff should ask the vendor."""

from collections import defaultdict

from stats.counter.report import CountRow
from stats.counter.vocabulary import UNIQUE_TOTAL

EXAMPLES = 3


def check(rows: list[CountRow]) -> list[str]:
    """French warnings, one per kind of inconsistency, with a few examples."""
    groups: dict[tuple, dict[str, int]] = defaultdict(dict)
    for row in rows:
        key = (row.month, row.data_type, row.access_type, row.access_method, row.yop,
               row.title, row.item_id)  # fmt: skip
        groups[key][row.metric_type] = groups[key].get(row.metric_type, 0) + row.count
    reported = {metric for metrics in groups.values() for metric in metrics}
    warnings = []
    for smaller, larger in UNIQUE_TOTAL:
        if smaller not in reported or larger not in reported:
            continue
        # A metric left out of a row counts 0 (R5.1 omits zero months and metrics).
        found = [
            (key, metrics[smaller], metrics.get(larger, 0))
            for key, metrics in groups.items()
            if metrics.get(smaller, 0) > metrics.get(larger, 0)
        ]
        if not found:
            continue
        shown = "; ".join(
            f"{key[0]:%m/%Y}{' « ' + key[5][:40] + ' »' if key[5] else ''} : {a} > {b}"
            for key, a, b in found[:EXAMPLES]
        )
        more = f" et {len(found) - EXAMPLES} autre(s)" if len(found) > EXAMPLES else ""
        warnings.append(
            f"Incohérence : {smaller} dépasse {larger} dans {len(found)} cas ({shown}{more})."
        )
    return warnings
