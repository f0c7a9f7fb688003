"""Database access: models, engine set-up, migrations."""
