"""Open311 GeoReport v2 (see ../shared/OPEN311.md): an interop face over hazards.

Part of govern's wiring layer: it may import hazards; nothing imports it but the URLs.
service = hazard category, service request = hazard.
"""
