"""The change feed of one worker: the hub, the listener, and WorkerFeed, the one interface the API uses."""
