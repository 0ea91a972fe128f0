"""Deterministic demo-data generator: forms, sales spreadsheets and a HubSpot CRM seed for funnelhouse."""

from .core import generate

__all__ = ["generate"]
