"""SIP2 (3M Standard Interchange Protocol 2.00): a client and the live-availability driver."""
