"""The Rasa action server: thin adapters from conversations to the services in `bot/`."""
