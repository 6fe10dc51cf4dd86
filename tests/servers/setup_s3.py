"""Prepares a moto S3 server for the object-store tests and prints its credentials as JSON.

Usage: python setup_s3.py ENDPOINT BUCKET

The server is started with INITIAL_NO_AUTH_ACTION_COUNT, so after these first actions it
checks every request's signature against the IAM user created here: a wrong secret fails.
"""
import json
import sys

import boto3

endpoint, bucket = sys.argv[1], sys.argv[2]
bootstrap = dict(endpoint_url=endpoint, region_name="eu-west-2",
                 aws_access_key_id="bootstrap", aws_secret_access_key="bootstrap")
iam = boto3.client("iam", **bootstrap)
iam.create_user(UserName="ohs")
policy = iam.create_policy(PolicyName="s3-all", PolicyDocument=json.dumps({
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
}))
iam.attach_user_policy(UserName="ohs", PolicyArn=policy["Policy"]["Arn"])
key = iam.create_access_key(UserName="ohs")["AccessKey"]
s3 = boto3.client("s3", **bootstrap)
s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-west-2"})
print(json.dumps({"access_key_id": key["AccessKeyId"], "secret_access_key": key["SecretAccessKey"]}))
