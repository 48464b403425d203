"""Media routes: upload, read, describe, and the files themselves."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
