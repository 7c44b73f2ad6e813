"""Standalone hardware proxy for the Odoo 19 POS (never imports Odoo)."""

__version__ = "19.0.1.0.0"
