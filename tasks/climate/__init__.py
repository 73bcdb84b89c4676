"""Climate tasks: ``climate_tool`` (multiple choice) and ``climate_open_tool`` (shipping-route design)."""
