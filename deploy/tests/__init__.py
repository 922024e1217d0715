"""Tests of the container deployment (deploy/compose.yaml): run by `make compose-test`, not by `make test`."""
