"""Operator commands for the local stack: `./tm logs`, `./tm backup`, `./tm restore`, `./tm keys`.

Run as ``python -m trademaster.service.ops <command>``; `tm` dispatches here.
"""
