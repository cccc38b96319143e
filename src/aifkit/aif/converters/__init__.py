"""One module per wire format; each exposes a `Converter`."""
