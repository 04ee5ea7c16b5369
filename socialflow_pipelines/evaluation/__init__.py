"""`socialflow eval` tasks: read a labeled file, run the same ml/ code the pipeline runs, score it."""
