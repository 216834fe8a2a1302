"""The shipped rule packs and data files."""
