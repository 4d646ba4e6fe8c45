"""Torch-free domain configs shared by services and the library (see ``strategy``)."""
