"""The domain operations every front end uses (actions, channels, web app, command line).

Services take plain inputs and return frozen views; they are the only door to the store.
"""
