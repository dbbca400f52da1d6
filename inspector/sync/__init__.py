"""Sync between devices and the central server: one wire format, several transports.

HTTP push/pull (`client`), USB and peer bundles (`bundle`, `transfer`) and signed receipts
(`receipts`) all carry the same records: hash-chained events (`inspector.store.events`) grouped in
ranges that end at a head statement signed by the chain's own device (`wire`). Receivers insert
foreign events unchanged and keep the projection equal to a replay of the whole log (`merge`).
The protocol, the bundle format and the threat model are described in docs/sync-protocol.md.
"""
