"""Shutter: photo and video sharing with a Mastodon-compatible API."""

__version__ = "0.1.0"
