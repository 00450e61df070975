"""Framework integrations: :mod:`.flask`, :mod:`.wsgi` and :mod:`.asgi`.

Each submodule imports its framework lazily (only when you import that
submodule), so the core package keeps ``cryptography`` as its only dependency.
"""
