"""Reads of the back office: KPI figures, the board's queues, the risk heat map."""
