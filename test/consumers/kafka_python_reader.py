"""Reads a topic from the beginning the way the DTS Python demo does (kafka-python's KafkaConsumer,
its defaults) and decodes every message with the DTS Avro schema; prints one JSON summary line.

usage: kafka_python_reader.py BROKERS TOPIC SCHEMA.avsc EXPECTED
Stops after EXPECTED decoded records or 15 s without a message.
"""
import io
import json
import sys

import fastavro
from kafka import KafkaConsumer

brokers, topic, schema_file, expected = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
# The schema file is the list of DTS's named types; the last one, Record, is what a message holds.
named = {}
with open(schema_file) as f:
    for type_schema in json.load(f):
        schema = fastavro.parse_schema(type_schema, named_schemas=named)

consumer = KafkaConsumer(
    topic,
    bootstrap_servers=brokers.split(","),
    auto_offset_reset="earliest",
    enable_auto_commit=False,
    consumer_timeout_ms=15000,
)
decoded, undecodable, operations, smallest, first_error = 0, 0, {}, None, None
for message in consumer:
    size = len(message.value)
    smallest = size if smallest is None else min(smallest, size)
    try:
        record = fastavro.schemaless_reader(io.BytesIO(message.value), schema)
        decoded += 1
        operations[record["operation"]] = operations.get(record["operation"], 0) + 1
    except Exception as e:
        undecodable += 1
        first_error = first_error or f"offset {message.offset}, {size} bytes: {type(e).__name__}: {e}"
    if decoded >= expected:
        break
consumer.close()
print(
    json.dumps(
        {
            "decoded": decoded,
            "undecodable": undecodable,
            "operations": operations,
            "smallest": smallest,
            "firstError": first_error,
        }
    )
)
