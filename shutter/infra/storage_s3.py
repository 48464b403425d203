"""S3-compatible object storage (AWS S3, MinIO, Ceph, R2, …) through boto3.

Objects are never given an ACL: who may read them is the bucket's business (a bucket
policy or CDN origin access that allows `v/*` and `a/*` only), so a private original
can never become public-read through this code. Public objects carry their content type
and `Cache-Control: public, max-age=31536000, immutable`, which S3 returns with every
read and a CDN honours. Calls block; services run them in worker threads, and one boto3
client is shared by those threads (clients are thread-safe).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from shutter.infra.storage import IMMUTABLE, StoredObject, content_type_of, is_public

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

    from shutter.infra.settings import Settings

# DeleteObjects takes at most this many keys per request.
_DELETE_BATCH = 1000


class S3Storage:
    def __init__(self, client: S3Client, bucket: str) -> None:
        self.client = client
        self.bucket = bucket

    @classmethod
    def from_settings(cls, settings: Settings) -> S3Storage:
        key_id = settings.s3_access_key_id
        secret = settings.s3_secret_access_key
        client = boto3.client(
            "s3",
            endpoint_url=settings.s3_endpoint_url or None,
            region_name=settings.s3_region,
            # None lets boto3 find credentials itself (IAM role, IRSA, env, profile).
            aws_access_key_id=key_id.get_secret_value() if key_id else None,
            aws_secret_access_key=secret.get_secret_value() if secret else None,
            config=Config(
                signature_version="s3v4",
                s3={"addressing_style": settings.s3_addressing_style},
                retries={"max_attempts": 5, "mode": "standard"},
                connect_timeout=5,
                read_timeout=60,
                # Uploads and deletes run in many worker threads at once.
                max_pool_connections=50,
            ),
        )
        return cls(client, settings.s3_bucket)

    def put(self, key: str, data: bytes) -> None:
        extra: dict[str, Any] = {"ContentType": content_type_of(key)}
        if is_public(key):
            extra["CacheControl"] = IMMUTABLE
        self.client.put_object(Bucket=self.bucket, Key=key, Body=data, **extra)

    def put_file(self, key: str, path: Path) -> None:
        """boto3's managed transfer: a large file goes up in parts, never whole in memory."""
        extra: dict[str, Any] = {"ContentType": content_type_of(key)}
        if is_public(key):
            extra["CacheControl"] = IMMUTABLE
        self.client.upload_file(str(path), self.bucket, key, ExtraArgs=extra)

    def get(self, key: str) -> bytes:
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if _is_missing(exc):
                raise FileNotFoundError(key) from None
            raise
        return response["Body"].read()

    def read_chunks(self, key: str, *, chunk_size: int = 1024 * 1024) -> Iterator[bytes]:
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if _is_missing(exc):
                raise FileNotFoundError(key) from None
            raise
        body = response["Body"]
        try:
            yield from body.iter_chunks(chunk_size)
        finally:
            body.close()

    def exists(self, key: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if _is_missing(exc):
                return False
            raise
        return True

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=key)

    def delete_many(self, keys: Iterable[str]) -> None:
        pending = list(dict.fromkeys(keys))
        for start in range(0, len(pending), _DELETE_BATCH):
            batch = pending[start : start + _DELETE_BATCH]
            response = self.client.delete_objects(
                Bucket=self.bucket,
                Delete={"Objects": [{"Key": key} for key in batch], "Quiet": True},
            )
            errors = response.get("Errors") or []
            if errors:  # raise, so the job that asked retries later
                first = errors[0]
                raise OSError(
                    f"S3 refused to delete {len(errors)} object(s), e.g. "
                    f"{first.get('Key')}: {first.get('Code')} {first.get('Message')}"
                )

    def keys(self, prefix: str = "") -> list[str]:
        found: list[str] = []
        after = ""
        while True:
            page = self.entries(prefix, after=after)
            found.extend(entry.key for entry in page)
            if len(page) < 1000:
                return found
            after = page[-1].key

    def entries(
        self, prefix: str = "", *, after: str = "", limit: int = 1000
    ) -> list[StoredObject]:
        response = self.client.list_objects_v2(
            Bucket=self.bucket, Prefix=prefix, StartAfter=after, MaxKeys=min(limit, 1000)
        )
        return [
            StoredObject(item["Key"], item["Size"], item["LastModified"])
            for item in response.get("Contents", [])
        ]

    def presigned_url(self, key: str, *, ttl_seconds: int) -> str | None:
        return self.client.generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket, "Key": key}, ExpiresIn=ttl_seconds
        )


def _is_missing(exc: ClientError) -> bool:
    code = str(exc.response.get("Error", {}).get("Code", ""))
    return code in {"404", "NoSuchKey", "NotFound"}
