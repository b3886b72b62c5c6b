"""Planted irregularities (cases) and look-alike lawful records (decoys), one module per model."""
