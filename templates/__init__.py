"""Mail templates (Jinja2), shipped as casefile.templates; see intake/outgoing/render.py."""
