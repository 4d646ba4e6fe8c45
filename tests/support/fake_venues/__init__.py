"""Loopback fake venues speaking Alpaca's and Binance's real protocols (HTTP + WebSocket on
127.0.0.1:0) over one scripted order book, for the adapter conformance suite."""
