"""Rasa input channels of our own (socket.io fix, SMS gateway)."""
