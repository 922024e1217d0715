"""Events: the publisher (domain -> contract events -> outbox) and the subscribers (commands, partners)."""
