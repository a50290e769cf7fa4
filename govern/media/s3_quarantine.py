"""The upload quarantine in a private S3-compatible bucket (`QUARANTINE_S3_BUCKET`), for web
servers and workers on several machines: a worker reads what any web server wrote.

Its own module: importing django-storages' S3 backend pulls in boto3, which nothing else pays for
when the quarantine is on disk (govern.media.quarantine)."""

from __future__ import annotations

from storages.backends.s3 import S3Storage


class S3QuarantineStorage(S3Storage):
    """Private like the disk quarantine: objects are written with the bucket's own (private) ACL
    and never get a URL; an existing name is never overwritten."""

    def url(self, name, parameters=None, expire=None, http_method=None):
        raise ValueError("quarantined uploads are never served")
