"""The bucket, through botocore (the one module that imports it): a paginated listing, conditional puts,
single-key reads, batch deletes, a count of the HTTP requests made, and every storage failure as one line.

The client is botocore's own: boto3 (the ``publish`` extra, which brings botocore) would only wrap it,
and importing it costs a re-publish about 45 ms of its start-up."""

from __future__ import annotations

import os
import threading
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..errors import ConfigError
from .objects import StoredObject
from .target import Target

DEFAULT_ATTEMPTS = 5  # botocore's "standard" retries: exponential backoff with jitter on transient errors
DELETE_BATCH = 1000  # DeleteObjects takes at most 1,000 keys
USER_FIXABLE = {
    "NoSuchBucket": "bucket {bucket!r} does not exist",
    "AccessDenied": "access denied (check the credentials' permissions on the bucket)",
    "AllAccessDisabled": "access denied (check the credentials' permissions on the bucket)",
    "InvalidAccessKeyId": "the AWS access key id is not known to the store",
    "SignatureDoesNotMatch": "the AWS secret access key does not match the key id",
    "InvalidBucketName": "{bucket!r} is not a valid bucket name",
    "PermanentRedirect": "the bucket is in another region (set AWS_DEFAULT_REGION or --endpoint-url)",
}


@dataclass(frozen=True)
class Listed:
    """One key as the listing shows it."""

    size: int
    etag: str
    modified: datetime


class Store:
    """One bucket prefix. Thread-safe: boto3 clients are, and the request count takes a lock."""

    def __init__(self, target: Target, endpoint_url: str | None = None, workers: int = 16) -> None:
        try:
            import botocore.session
            from botocore.config import Config
        except ImportError:
            raise ConfigError("publishing needs boto3: pip install 'assetbuild[publish]'") from None
        self.target = target
        self.where = endpoint_url or "AWS"
        self.requests: Counter[str] = Counter()
        self._lock = threading.Lock()
        attempts = os.environ.get("AWS_MAX_ATTEMPTS") or str(DEFAULT_ATTEMPTS)
        if not attempts.isdigit() or int(attempts) < 1:
            raise ConfigError(f"AWS_MAX_ATTEMPTS={attempts!r}: expected a whole number of at least 1")
        config = Config(retries={"mode": "standard", "total_max_attempts": int(attempts)},
                        max_pool_connections=max(workers, 10), connect_timeout=10, read_timeout=60)
        core = botocore.session.get_session()
        core.get_component("response_parser_factory").set_parser_defaults(timestamp_parser=_timestamp)
        try:
            self.client = core.create_client("s3", endpoint_url=endpoint_url, config=config)
        except ValueError as err:  # botocore: "Invalid endpoint: ..."
            raise ConfigError(f"--endpoint-url {endpoint_url!r}: not a URL ({err})") from None
        self.client.meta.events.register("before-send.s3.*", self._count)

    def _count(self, event_name: str, **_: Any) -> None:
        with self._lock:
            self.requests[event_name.rsplit(".", 1)[-1]] += 1

    def listing(self, under: str = "") -> dict[str, Listed]:
        """Every key under the prefix (or under ``under`` within it), relative to the prefix: one paginated
        ListObjectsV2, no per-key requests."""
        found: dict[str, Listed] = {}
        cut = len(self.target.prefix)
        with self._errors():
            pages = self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.target.bucket, Prefix=self.target.key(under))
            for page in pages:
                for item in page.get("Contents", ()):
                    found[item["Key"][cut:]] = Listed(item["Size"], item["ETag"].strip('"'), item["LastModified"])
        return found

    def put(self, obj: StoredObject, data: bytes, replace: bool = False) -> bool:
        """Write one object; unless ``replace``, only if the key is absent. False: it was there already (412)."""
        from botocore.exceptions import ClientError

        headers: dict[str, Any] = {"ContentType": obj.content_type, "CacheControl": obj.cache_control}
        if obj.content_encoding:
            headers["ContentEncoding"] = obj.content_encoding
        if not replace:
            headers["IfNoneMatch"] = "*"
        with self._errors():
            try:
                self.client.put_object(Bucket=self.target.bucket, Key=self.target.key(obj.rel), Body=data, **headers)
            except ClientError as err:
                if _status(err) == 412:
                    return False  # written by an earlier, interrupted run (or a concurrent one): same bytes
                raise
        return True

    def get(self, rel: str) -> bytes:
        with self._errors():
            response = self.client.get_object(Bucket=self.target.bucket, Key=self.target.key(rel))
            return response["Body"].read()

    def get_if_there(self, rel: str) -> bytes | None:
        """The object's bytes, or None where the key does not exist."""
        from botocore.exceptions import ClientError

        with self._errors():
            try:
                response = self.client.get_object(Bucket=self.target.bucket, Key=self.target.key(rel))
            except ClientError as err:
                if _status(err) == 404:
                    return None
                raise
            return response["Body"].read()

    def exists(self, rel: str) -> bool:
        """One HEAD request."""
        from botocore.exceptions import ClientError

        with self._errors():
            try:
                self.client.head_object(Bucket=self.target.bucket, Key=self.target.key(rel))
            except ClientError as err:
                if _status(err) == 404:
                    return False
                raise
        return True

    def delete(self, rels: Iterable[str]) -> None:
        keys = [self.target.key(rel) for rel in rels]
        for start in range(0, len(keys), DELETE_BATCH):
            batch = [{"Key": key} for key in keys[start:start + DELETE_BATCH]]
            with self._errors():
                answer = self.client.delete_objects(
                    Bucket=self.target.bucket, Delete={"Objects": batch, "Quiet": True})
            if answer.get("Errors"):
                first = answer["Errors"][0]
                raise ConfigError(f"cannot delete {first['Key']}: {first.get('Message', first.get('Code'))}",
                                  str(self.target))

    def _errors(self) -> _StorageErrors:
        return _StorageErrors(self)


def _status(err: Any) -> int | None:
    return err.response.get("ResponseMetadata", {}).get("HTTPStatusCode")


def _timestamp(text: str) -> datetime:
    """botocore's default parser (dateutil) takes most of a listing's time; S3 sends ISO 8601."""
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        from botocore.utils import parse_timestamp

        return parse_timestamp(text)


class _StorageErrors:
    """Turns botocore's exceptions into one line naming the target: what is wrong and what to do."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, err: BaseException | None, _tb: Any) -> bool:
        from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError, NoCredentialsError

        if err is None or not isinstance(err, BotoCoreError | ClientError):
            return False
        target = str(self.store.target)
        if isinstance(err, NoCredentialsError):
            message = ("no AWS credentials found (set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, "
                       "or AWS_PROFILE, or use an instance role)")
        elif isinstance(err, EndpointConnectionError):
            message = f"cannot reach the store at {self.store.where}"
        elif isinstance(err, ClientError):
            code = err.response.get("Error", {}).get("Code", "")
            template = USER_FIXABLE.get(code)
            message = (template.format(bucket=self.store.target.bucket) if template
                       else f"the store answered {code or 'an error'}: {err.response.get('Error', {}).get('Message')}")
        else:
            message = f"storage error: {err}"
        raise ConfigError(message, target) from None
