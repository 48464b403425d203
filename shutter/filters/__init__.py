"""Filters (Mastodon's v1 and v2 keyword and status filters) and their application to
statuses on every read path."""
