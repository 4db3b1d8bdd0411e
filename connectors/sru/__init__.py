"""SRU (Search/Retrieve via URL) harvesting: ``driver.SruDriver``."""
