"""Where mail comes from: IMAP mailboxes, and Maildir folders for the demo."""
