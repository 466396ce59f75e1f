"""Bot texts: one Jinja2 environment factory, rendering, template context, readability checks."""
