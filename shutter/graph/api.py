"""Graph routes: follow, unfollow, follow requests, relationships, followers, following."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
