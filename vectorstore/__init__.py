"""The vector store (Chroma), the embedding model, the lexical index and hybrid retrieval.

Only this package imports chromadb.
"""
