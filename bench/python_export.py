"""The Python stack's export, for `deno task bench`: zarr 2 reads one level
over S3 (boto3, chunks fetched 16 at a time as s3fs would), nibabel writes it
as `.nii.gz` at gzip level 1 (or `.nii`). Prints one JSON line: wall seconds
of the read and the write, CPU seconds and peak RSS of this process.

Usage: python3 python_export.py ENDPOINT BUCKET PREFIX LEVEL OUT
"""
import json
import os
import resource
import sys
import time
from collections.abc import MutableMapping
from concurrent.futures import ThreadPoolExecutor

import boto3
import nibabel as nib
import numpy as np
import zarr
from botocore import UNSIGNED
from botocore.config import Config


class S3Map(MutableMapping):
    """A read-only zarr store over one S3 prefix; `getitems` lets zarr fetch many chunks at once."""

    def __init__(self, client, bucket, prefix):
        self.client, self.bucket, self.prefix = client, bucket, prefix.rstrip("/")
        self.pool = ThreadPoolExecutor(16)

    def __getitem__(self, key):
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=f"{self.prefix}/{key}")
        except self.client.exceptions.NoSuchKey:
            raise KeyError(key)
        return response["Body"].read()

    def getitems(self, keys, on_error="omit"):
        def get(key):
            try:
                return key, self[key]
            except KeyError:
                return key, None

        return {key: value for key, value in self.pool.map(get, keys) if value is not None}

    def __contains__(self, key):
        try:
            self.client.head_object(Bucket=self.bucket, Key=f"{self.prefix}/{key}")
            return True
        except Exception:
            return False

    def __iter__(self):
        return iter(())

    def __len__(self):
        return 0

    def __setitem__(self, key, value):
        raise NotImplementedError

    def __delitem__(self, key):
        raise NotImplementedError


def main():
    endpoint, bucket, prefix, level, out = sys.argv[1:6]
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-west-2",
        # Unsigned, as anyone reads the public aind-open-data bucket (and as spimfetch does).
        config=Config(signature_version=UNSIGNED, s3={"addressing_style": "path"}, max_pool_connections=16),
    )
    started = time.perf_counter()
    group = zarr.open_group(S3Map(client, bucket, prefix), mode="r")
    scale = group.attrs["multiscales"][0]["datasets"][int(level)]["coordinateTransformations"][0]["scale"]
    data = group[level][0, 0]  # (z, y, x)
    read = time.perf_counter() - started
    spacing = [s / 1000 for s in scale[2:]][::-1]  # (x, y, z) in mm
    affine = np.diag([*spacing, 1.0])
    nib.openers.Opener.default_compresslevel = 1
    # (z, y, x) C order is NIfTI's (x, y, z) Fortran order: the transpose is a view, written without a copy.
    nib.save(nib.Nifti1Image(data.T, affine), out)
    seconds = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(json.dumps({
        "seconds": seconds,
        "readSeconds": read,
        "writeSeconds": seconds - read,
        "cpuSeconds": usage.ru_utime + usage.ru_stime,
        "peakRss": usage.ru_maxrss * 1024,
        "bytes": os.path.getsize(out),
    }))


if __name__ == "__main__":
    main()
