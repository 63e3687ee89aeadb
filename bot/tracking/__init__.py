"""Rasa's tracker stores as this assistant configures them (endpoints files)."""
