"""Social Flow's ML data platform: Dagster assets, their stores, and the serving API."""
