"""Where outputs (and s3:// inputs) live: obstore over a local folder or S3."""

from clipstitch.storage.objects import ObjectStorage, StorageError

__all__ = ["ObjectStorage", "StorageError"]
