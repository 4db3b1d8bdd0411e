"""Harvesting an OAI-PMH 2.0 repository (ListRecords, resumption tokens, deletions)."""
