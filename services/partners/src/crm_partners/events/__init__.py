"""Events: the publisher (domain -> contract events -> outbox), subscribers, the history translator, replay."""
