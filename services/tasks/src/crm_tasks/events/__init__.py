"""Events in and out of the tasks service."""
