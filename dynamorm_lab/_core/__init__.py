"""The pure core: models and fields, types, the codec and DynamoDB's limits, expressions,
reserved words, table schemas, the planner, cursors, query specs, code generation.

No I/O, no botocore client, no pandas: it imports only `dynamorm_lab.errors` and the
standard library, turns models and conditions into request dictionaries and plans, and
items back into objects.
"""
