"""The mail side of casefile: mailbox polling, report extraction, outgoing mail, the service."""
