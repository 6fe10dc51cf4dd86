"""Creates a container in an Azurite blob server for the object-store tests.

Usage: python setup_azure.py BLOB_ENDPOINT CONTAINER   (endpoint: http://127.0.0.1:PORT/devstoreaccount1)
"""
import sys

from azure.storage.blob import BlobServiceClient

# Azurite's documented development account and key.
ACCOUNT = "devstoreaccount1"
KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="

endpoint, container = sys.argv[1], sys.argv[2]
service = BlobServiceClient(account_url=endpoint, credential={"account_name": ACCOUNT, "account_key": KEY})
service.create_container(container)
