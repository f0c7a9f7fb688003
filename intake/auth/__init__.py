"""OAuth2 access tokens for IMAP and SMTP: providers, a cache, and the SASL strings."""
