"""Local store: SQLite opened by one factory, an append-only event log and its projections."""
