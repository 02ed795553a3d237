"""A question-answering assistant over news articles that cites every sentence it says."""

__version__ = "0.1.0"
