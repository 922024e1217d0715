"""The pure core of mail import: decoding, parsing exported emails, identity, routing, folder rules."""
