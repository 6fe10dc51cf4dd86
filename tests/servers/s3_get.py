"""Prints one object of the S3 test server to stdout, read with boto3 (independently of ohs).

Usage: python s3_get.py ENDPOINT BUCKET KEY   (credentials from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY)
Exits 3 when the object does not exist.
"""
import sys

import boto3
from botocore.exceptions import ClientError

endpoint, bucket, key = sys.argv[1:4]
s3 = boto3.client("s3", endpoint_url=endpoint, region_name="eu-west-2")
try:
    body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
except ClientError as e:
    if e.response["Error"]["Code"] in ("NoSuchKey", "404"):
        sys.exit(3)
    raise
sys.stdout.buffer.write(body)
