"""Rasa custom actions, one module per topic; every fact they state comes from knowledge/."""
