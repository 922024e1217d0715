"""Test support: the joint fixture (real Kafka, PostgreSQL, SMTP sink) as a pytest plugin."""
