"""Input limits, in a module of their own so that the CLI can check a question without importing pydantic."""

# Longer questions are refused rather than cut: the embedding model reads only its first 256 word-pieces.
MAX_QUESTION_CHARS = 2000
MAX_QUESTION_TOKENS = 256
