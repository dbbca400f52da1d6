"""The directive catalog and checklists: a documented, versioned, validated file format."""
