"""Content analysis: features, embeddings and topics of every item (records, store, service)."""
