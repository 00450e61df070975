"""One module per grant type (RFC 6749 §4), each an Authlib grant subclass."""
