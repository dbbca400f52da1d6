"""The central server: enrolled devices, idempotent pushes, resumable uploads, signed receipts.

Its database is an ordinary Inspector store (same schema, same connection factory, so the same
durability settings and the same `events verify`) plus a few server-only tables (`schema`). The
server is itself a device of the event log: its key signs receipts and reference-data pages, and
its own chain carries catalogs, the team roster and revocations to the devices.
"""
