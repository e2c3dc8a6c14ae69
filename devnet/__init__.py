"""A deterministic local devnet of both ecosystems and the market feed, speaking their real protocols.

Same seed, same `now` -> the same answers, byte for byte. Production connectors point at it unchanged.
"""
