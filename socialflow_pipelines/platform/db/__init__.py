"""Schema, migrations, engine and demo data for the app tables and the ml result tables."""
