"""Streamlit dashboard over the results store (read-only). Entry point: dashboards/app.py."""
