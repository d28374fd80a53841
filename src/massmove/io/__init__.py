"""Readers and writers of massmove's products (all writes are atomic)."""
