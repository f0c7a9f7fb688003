"""The register: cases, documents, diarienummer, archive, events and the staff CLI."""

__version__ = "0.1.0"
