"""The ops layer, the only I/O: a transport at the bottom (`transport`: one botocore client,
the error boundary, read-only, hooks), and the operations above it (items, batches,
transactions, reads, exports, bulk loads, tables, migrations, backfills, introspection).

It imports the core and `frames`, and is written against `transport.Transport`, never
against the facade (`dynamorm_lab._connection`) that composes it.
"""
