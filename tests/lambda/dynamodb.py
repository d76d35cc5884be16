"""DynamoDB helpers for tests/lambda/run, against moto's server (boto3 comes with moto).

    python dynamodb.py ENDPOINT create TABLE     # the table as infra/terraform makes it
    python dynamodb.py ENDPOINT keys TABLE PREFIX  # the partition keys starting with PREFIX
    python dynamodb.py ENDPOINT item TABLE KEY     # one item as JSON
"""

import json
import sys

import boto3

endpoint, command, table = sys.argv[1], sys.argv[2], sys.argv[3]
db = boto3.client(
    "dynamodb",
    endpoint_url=endpoint,
    region_name="us-east-1",
    aws_access_key_id="AKIDMOCKPLANO",
    aws_secret_access_key="mock-aws-secret",
)

if command == "create":
    # Same key schema, billing and TTL attribute as infra/terraform/dynamodb.tf.
    db.create_table(
        TableName=table,
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
    )
    db.update_time_to_live(
        TableName=table,
        TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires_at"},
    )
    print(f"table {table} created")
elif command == "keys":
    prefix = sys.argv[4]
    pages = db.get_paginator("scan").paginate(TableName=table, ProjectionExpression="pk")
    for page in pages:
        for item in page["Items"]:
            if item["pk"]["S"].startswith(prefix):
                print(item["pk"]["S"])
elif command == "item":
    item = db.get_item(TableName=table, Key={"pk": {"S": sys.argv[4]}}, ConsistentRead=True)
    print(json.dumps(item.get("Item"), default=str))
else:
    sys.exit(f"unknown command {command}")
