"""Ingestion: loaders, metadata, chunking and the sync job that keeps the index in step."""
