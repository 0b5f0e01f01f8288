"""Deadlines: the dates that drive OIA's calendar, computed live from the records that hold them."""
