"""Event adapters of the gateway: none publish (the gateway only reads topics for the live streams, in ``live``)."""
