"""The benchmarks (`decai bench`): the only code that imports the devnet and the product together."""
