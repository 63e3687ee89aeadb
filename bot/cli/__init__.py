"""Command-line tools (`python -m bot.cli.<tool>`): thin clients of the services."""
