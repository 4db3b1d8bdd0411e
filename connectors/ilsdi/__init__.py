"""Koha ILS-DI (DLF ILS Discovery Interface): live availability with GetAvailability."""
