"""Running the CRM locally: Kafka, the SMTP sink, every service and the gateway."""
