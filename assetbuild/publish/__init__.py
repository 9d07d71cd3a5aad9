"""Deploy time: copy a release to S3-compatible object storage and collect old keys there.

Neither build nor runtime: only the command line imports this package, and only its ``store``
module imports boto3 (the optional ``publish`` extra).
"""

from .gc import GcResult, collect_garbage
from .store import Store
from .target import Target, parse_duration, parse_target
from .upload import PublishResult, publish

__all__ = ["GcResult", "PublishResult", "Store", "Target", "collect_garbage", "parse_duration", "parse_target",
           "publish"]
