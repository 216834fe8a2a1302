"""Thin AWS Lambda handlers: read settings once, call one pipeline function, return a summary."""
