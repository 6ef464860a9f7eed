from px360.core.choices import Channel, Gender, Language

__all__ = ["Channel", "Gender", "Language"]
