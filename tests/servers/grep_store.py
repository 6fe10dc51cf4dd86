"""Reads every object of an S3 bucket or an Azure container, independently of ohs, and
prints the keys of those whose bytes contain any of the given strings, one per line.

Usage: python grep_store.py s3 ENDPOINT BUCKET NEEDLE...      (AWS_* credentials in env)
       python grep_store.py azure ENDPOINT CONTAINER NEEDLE... (Azurite's account)
Exit 0 when the store held objects and none matched, 1 when some matched, 2 when empty.
"""
import sys


def s3_objects(endpoint, bucket):
    import boto3
    s3 = boto3.client("s3", endpoint_url=endpoint, region_name="eu-west-2")
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for item in page.get("Contents", []):
            yield item["Key"], s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()


def azure_objects(endpoint, container):
    from azure.storage.blob import BlobServiceClient
    key = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
    service = BlobServiceClient(
        account_url=endpoint, credential={"account_name": "devstoreaccount1", "account_key": key})
    client = service.get_container_client(container)
    for blob in client.list_blobs():
        yield blob.name, client.download_blob(blob.name).readall()


def main(kind, endpoint, place, needles):
    objects = s3_objects(endpoint, place) if kind == "s3" else azure_objects(endpoint, place)
    seen, matched = 0, 0
    for key, body in objects:
        seen += 1
        if any(needle.encode() in body for needle in needles):
            matched += 1
            print(key)
    return 1 if matched else (0 if seen else 2)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]))
