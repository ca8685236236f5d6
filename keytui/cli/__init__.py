"""Commands: the parser and one module per command; each parses, calls the domain, prints."""
