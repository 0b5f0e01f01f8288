"""Trips: U.S.-based staff travelling abroad (a count of travellers, never their names)."""
