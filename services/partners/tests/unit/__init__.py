"""Unit tests of the partners service: the domain rules and the use cases against in-memory fakes."""
