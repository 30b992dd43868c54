"""The standard jackfield plugins (``jackfield.plugins.*``).

Each subpackage is one plugin: its public API in ``__init__``, its hook
implementations in ``_hooks`` (the module its entry point names). Plugins do
not import each other; they meet through documented extension points.
"""
