"""funnelhouse: a sales-funnel warehouse built from forms, spreadsheets and CRM APIs."""

__version__ = "0.1.0"
