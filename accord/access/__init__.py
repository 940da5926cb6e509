"""The access wing: security markings, audiences, the one visibility filter, the audit log.

Below the answer pass and the instruments; above the language wing."""
