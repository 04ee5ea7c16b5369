"""Models: the catalogue of models this process knows, and loading or freeing them on request."""
