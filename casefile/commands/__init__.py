"""Staff commands of `casefile` that live in their own modules (registered lazily in cli.py)."""
