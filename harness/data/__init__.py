"""Data sources: loaders for user files and canonical record conversions (see docs/ARCHITECTURE.md)."""

from harness.data.loaders import Loaded, load_records, load_source
from harness.data.records import KIND_FIELDS, chat_to_text, convert, normalize_text, to_chat, to_text, validate_record

__all__ = ["KIND_FIELDS", "Loaded", "chat_to_text", "convert", "load_records", "load_source", "normalize_text",
           "to_chat", "to_text", "validate_record"]
