"""Notifications: records of what others did to you, grouping, and live delivery."""
