"""The knowledge base: every fact the assistant may state, with its source."""
