"""Broker adapters: the one async interface every venue implements, and the paper venue."""
