"""Leaf utilities every layer may use: settings, identity tokens, masking, text normalisation, clocks."""
