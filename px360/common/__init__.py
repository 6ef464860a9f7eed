"""Plain building blocks with no models and no knowledge of the apps.

The bottom layer: any app may import from here; nothing here imports an app.
"""
