"""Mail templates (Jinja2), shipped as the package casefile.templates; see intake/outgoing/render.py."""
