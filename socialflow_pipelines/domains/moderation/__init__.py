"""Moderation: items' decisions, the human reviews that override them, and the text models
retrained from those reviews (records, store, runtime, service)."""
