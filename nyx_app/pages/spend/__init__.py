"""The Spend page: cost per day by provider or project as a chart, totals for a period, CSV export."""
