"""Export and import entities as the API returns them, and the import's parameters.

Shutter-only (Mastodon makes archives and imports through its web forms): documented in
docs/api.md.
"""

from __future__ import annotations

from typing import Any

from shutter.archive.models import Export, Import
from shutter.archive.service import DONE, is_expired
from shutter.infra.formats import iso
from shutter.infra.params import RequestParams
from shutter.infra.settings import Settings


class ImportParams(RequestParams):
    type: str | None = None
    mode: str | None = None
    # An UploadFile when sent as multipart; checked by the service, not by pydantic.
    data: Any = None


def export_json(export: Export, settings: Settings) -> dict[str, Any]:
    expired = is_expired(export)
    downloadable = export.state == DONE and not expired and export.storage_key is not None
    return {
        "id": str(export.id),
        "state": export.state,
        "progress": {"done": export.progress_done, "total": export.progress_total},
        "size": export.size,
        "error": export.error,
        "created_at": iso(export.created_at),
        "finished_at": iso(export.finished_at),
        "expires_at": iso(export.expires_at),
        "expired": expired,
        "url": f"{settings.base_url}/api/v1/shutter/exports/{export.id}/download"
        if downloadable
        else None,
    }


def import_json(found: Import) -> dict[str, Any]:
    return {
        "id": str(found.id),
        "type": found.type,
        "mode": found.mode,
        "state": found.state,
        "total": found.total,
        "processed": found.position,
        "imported": found.imported,
        "failed": [
            _failure(found, position, address, reason)
            for position, address, reason in found.failures
        ],
        "created_at": iso(found.created_at),
        "finished_at": iso(found.finished_at),
    }


def _failure(found: Import, position: int, address: str, reason: str) -> dict[str, Any]:
    failed: dict[str, Any] = {"row": position + 1, "account": address, "reason": reason}
    if found.type == "lists" and position < len(found.rows):
        failed["list"] = found.rows[position][1]  # the row's list title
    return failed
