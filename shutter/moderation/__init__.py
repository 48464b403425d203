"""Moderation: reports, Mastodon's admin API, account warnings and the audit log."""
