"""Use cases: each user action is one function that runs in one database transaction."""
