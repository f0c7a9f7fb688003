"""One message's way through intake: MIME parsing, classification, the pipeline."""
