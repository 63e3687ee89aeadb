"""Development tools: run the trained assistant in process for tests and evaluations."""
