"""The Jinja2 sandbox's parts; :mod:`specrun._templates` is its face (compile, render, failures).

- ``limits``: how far one render may go (sizes, steps, time) and the meter that counts it;
- ``plain``: only plain data becomes text, sized before it is built;
- ``formatting``: ``%``, ``|format`` and ``.format()`` checked before they run;
- ``filters``: the filters and the methods of text, each sized before it runs;
- ``codegen``: the code a template compiles to, routed through those checks;
- ``environment``: the one environment that puts them together (``ENVIRONMENT``).
"""
